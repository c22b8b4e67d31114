#!/usr/bin/env bash
# Schemathesis against the embedded server: every check, every phase (examples,
# coverage, fuzzing, stateful through the document's links), loopback only.
# Creates a cached virtual environment once, starts its own server on a free
# port with its own data dir, and stops it at the end. Exit status: st's.
#   SCHEMATHESIS_MAX_EXAMPLES (default 100)  cases per operation and phase
#   SCHEMATHESIS_SEED                       reproduce a run
#   SCHEMATHESIS_ARGS                       extra `st run` options
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)

version=4.32.5
venv="${XDG_CACHE_HOME:-$HOME/.cache}/sturdy-chat/schemathesis-venv-$version"
if [ ! -e "$venv/.complete" ]; then
  echo "== creating $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version"
  touch "$venv/.complete"
fi

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
data_dir=$(mktemp -d -t chat-schemathesis-XXXXXX)
log="$data_dir/server.log"
server_pid=
stop() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$data_dir"
}
trap stop EXIT

HOST=127.0.0.1 PORT=$port DATA_DIR="$data_dir" DATABASE_URL="sqlite:$data_dir/chat.db" \
  LOG_LEVEL=warn RATE_LIMIT_ENABLED=false \
  node --import tsx services/monolith/src/main.ts >"$log" 2>&1 &
server_pid=$!

base="http://127.0.0.1:$port"
for _ in $(seq 1 150); do
  curl -fsS "$base/readyz" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { echo "server exited:" >&2; cat "$log" >&2; exit 1; }
  sleep 0.2
done
curl -fsS "$base/readyz" >/dev/null || { echo "server not ready on $base" >&2; cat "$log" >&2; exit 1; }
echo "== server on $base (data in $data_dir)" >&2

status=0
# --suppress-health-check=too_slow: Hypothesis's own check that generating inputs is fast enough. The
# register body's displayName pattern (the displayable-text rule, 29 KB of character classes) is slow to
# generate from, and on a loaded 2-core CI machine that health check failed once (2026-11-28) with every
# check on every response passing (3292 of 3292). It says nothing about the server; no check is switched off.
# shellcheck disable=SC2086  # SCHEMATHESIS_ARGS is a list of options
SCHEMATHESIS_HOOKS=scripts.schemathesis_hooks SCHEMATHESIS_BASE_URL="$base" PYTHONPATH=. \
  SCHEMATHESIS_CACHE_DIR="$(dirname "$venv")/schemathesis-cache" \
  "$venv/bin/st" --config-file scripts/schemathesis.toml run "$base/openapi.json" \
  --checks all \
  --phases examples,coverage,fuzzing,stateful \
  --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-100}" \
  ${SCHEMATHESIS_SEED:+--seed "$SCHEMATHESIS_SEED"} \
  --generation-database none \
  --suppress-health-check=too_slow \
  --request-timeout 10 \
  --no-color \
  ${SCHEMATHESIS_ARGS:-} || status=$?

if grep -qiE 'unhandled error|"level":50' "$log"; then
  echo "== the server logged errors:" >&2
  grep -iE 'unhandled error|"level":50' "$log" | head -20 >&2
  [ "$status" -eq 0 ] && status=1
fi
echo "== schemathesis took $(( $(date +%s) - started ))s, exit status $status" >&2
exit "$status"
