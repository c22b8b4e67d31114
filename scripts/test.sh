#!/usr/bin/env bash
# The one command that proves the project works: `npm test`.
# Provisions MariaDB, Redis, Kafka and Elasticsearch (scripts/services.sh) when
# their variables are not set, installs HAProxy (Phase 3's load balancer) when
# HAPROXY_BIN is not set, checks boundaries and types, runs every test,
# and ends with a line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

started=()
need() { [ -z "${!1:-}" ]; }
want=()
need DATABASE_URL && want+=(mysql)
need REDIS_URL && want+=(redis)
need KAFKA_BROKERS && want+=(kafka)
need ELASTICSEARCH_URL && want+=(elasticsearch)
# Installed only (each test cluster runs its own): `up` prints HAPROXY_BIN, `down` stops nothing.
need HAPROXY_BIN && want+=(haproxy)
if [ ${#want[@]} -gt 0 ]; then
  echo "== provisioning: ${want[*]}" >&2
  exports=$(bash scripts/services.sh up "${want[@]}") || { echo "services:up failed" >&2; exit 1; }
  eval "$exports"
  started=("${want[@]}")
fi
cleanup() { [ ${#started[@]} -gt 0 ] && [ -z "${KEEP_SERVICES:-}" ] && bash scripts/services.sh down "${started[@]}" >&2; }
trap cleanup EXIT
echo "== using DATABASE_URL=${DATABASE_URL%%@*}@… REDIS_URL=${REDIS_URL:-} KAFKA_BROKERS=${KAFKA_BROKERS:-} ELASTICSEARCH_URL=${ELASTICSEARCH_URL:-} HAPROXY_BIN=${HAPROXY_BIN:-}" >&2

failed_checks=0
passed_checks=0
check() {
  local name=$1; shift
  echo "== $name" >&2
  if "$@" >&2; then passed_checks=$((passed_checks + 1)); else echo "FAILED: $name" >&2; failed_checks=$((failed_checks + 1)); fi
}
check "service boundaries (dependency-cruiser)" npx depcruise shared services --config .dependency-cruiser.cjs
check "types (tsc --noEmit)" npx tsc -p tsconfig.json --noEmit
check "client package types, Node and browser (tsc --noEmit)" bash -c "npx tsc -p packages/client/tsconfig.json --noEmit && npx tsc -p packages/client/tsconfig.browser.json --noEmit"

log=$(mktemp)
files=(shared/test services/*/test packages/*/test test loadtest/test)
mapfile -t tests < <(find "${files[@]}" -name '*.test.ts' 2>/dev/null | sort)
echo "== tap: ${#tests[@]} test files" >&2
npx tap --reporter=tap "${tests[@]}" 2>&1 | tee "$log"
tap_status=${PIPESTATUS[0]}

# tap's closing line: "# { total: N, pass: N, fail: N, skip: N }" (fields omitted when 0)
summary=$(grep -E '^# \{ total' "$log" | tail -1)
field() { echo "$summary" | grep -oE "$1: [0-9]+" | grep -oE '[0-9]+' || echo 0; }
pass=$(( $(field pass) + passed_checks ))
fail=$(( $(field fail) + failed_checks ))
skip=$(field skip)
rm -f "$log"
if [ "$tap_status" -ne 0 ] && [ "$fail" -eq 0 ]; then fail=1; fi
echo "${pass} passed, ${fail} failed, ${skip} skipped"
[ "$fail" -eq 0 ] && [ "$tap_status" -eq 0 ]
