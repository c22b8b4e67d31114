#!/usr/bin/env bash
# Runs the bench on a snapshot of a commit (default HEAD), so edits in the
# working tree cannot change the server under test mid-run. Results are
# copied back to loadtest/results/.
#   bash loadtest/bench-snapshot.sh [commit] -- [bench args…]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REV="${1:-HEAD}"; shift || true
[ "${1:-}" = "--" ] && shift
SNAP="$(mktemp -d /tmp/chat-bench-XXXXXX)"
git -C "$ROOT" archive "$REV" | tar -x -C "$SNAP"
# node_modules: link every package, but point the workspace packages (@chat/*) at the snapshot.
mkdir -p "$SNAP/node_modules/@chat"
for entry in "$ROOT"/node_modules/* "$ROOT"/node_modules/.bin; do
  name="$(basename "$entry")"
  [ "$name" = "@chat" ] || ln -s "$entry" "$SNAP/node_modules/$name"
done
for pkg in "$ROOT"/node_modules/@chat/*; do
  target="$(readlink "$pkg")"
  ln -s "$target" "$SNAP/node_modules/@chat/$(basename "$pkg")"
done
# Backing services belong to the main checkout (its .services/ state), not the snapshot.
if [ -z "${DATABASE_URL:-}" ] && [ -z "${NO_MYSQL:-}" ]; then
  eval "$(cd "$ROOT" && bash scripts/services.sh up mysql redis)" || echo "[bench-snapshot] services.sh up failed; MariaDB run skipped" >&2
fi
echo "[bench-snapshot] $(git -C "$ROOT" rev-parse --short "$REV") in $SNAP" >&2
(cd "$SNAP" && node --import tsx loadtest/bench.ts "$@")
mkdir -p "$ROOT/loadtest/results"
cp "$SNAP"/loadtest/results/*.{json,md,svg} "$ROOT/loadtest/results/" 2>/dev/null || true
echo "[bench-snapshot] results copied to loadtest/results/ (snapshot left in $SNAP)" >&2
