#!/usr/bin/env bash
# Regenerates src/openapi-types.ts from the server's own OpenAPI 3.1 document.
# Starts an embedded server (SQLite in a temp dir, in-memory bus; no MariaDB,
# Redis or Kafka) on a free port, fetches /openapi.json through
# openapi-typescript, and stops the server. Run from anywhere in the repo.
# With OPENAPI_URL set, uses that running server instead.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
OUT="$ROOT/packages/client/src/openapi-types.ts"
cd "$ROOT"

if [[ -n "${OPENAPI_URL:-}" ]]; then
  npx openapi-typescript "$OPENAPI_URL" -o "$OUT"
  exit 0
fi

PORT="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
DATA="$(mktemp -d)"
LOG="$DATA/server.log"
HOST=127.0.0.1 PORT="$PORT" DATA_DIR="$DATA" DATABASE_URL="sqlite:$DATA/chat.db" LOG_LEVEL=warn \
  env -u REDIS_URL -u KAFKA_BROKERS -u ELASTICSEARCH_URL \
  node --import tsx services/monolith/src/main.ts >"$LOG" 2>&1 &
PID=$!
cleanup() { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; rm -rf "$DATA"; }
trap cleanup EXIT

for _ in $(seq 1 150); do
  if curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$PID" 2>/dev/null; then echo "server exited:"; cat "$LOG"; exit 1; fi
  sleep 0.2
done
curl -fsS "http://127.0.0.1:$PORT/openapi.json" >/dev/null || { echo "no /openapi.json on the server"; cat "$LOG"; exit 1; }
npx openapi-typescript "http://127.0.0.1:$PORT/openapi.json" -o "$OUT"
echo "wrote $OUT"
