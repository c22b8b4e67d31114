#!/usr/bin/env bash
# `npm run phase3`: provisions MySQL (MariaDB), Redis, Kafka and Elasticsearch
# locally when their variables are unset, then starts every Phase 3 service
# (instances per service: --ws 3 --message 2 --search 2 --notification 2).
set -euo pipefail
cd "$(dirname "$0")/.."
want=()
[ -z "${DATABASE_URL:-}" ] && want+=(mysql)
[ -z "${REDIS_URL:-}" ] && want+=(redis)
[ -z "${KAFKA_BROKERS:-}" ] && want+=(kafka)
[ -z "${ELASTICSEARCH_URL:-}" ] && want+=(elasticsearch)
if [ ${#want[@]} -gt 0 ]; then eval "$(bash scripts/services.sh up "${want[@]}")"; fi
# The entry point is HAProxy (Debian package): installed here if missing.
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || eval "$(bash scripts/services.sh up haproxy)"
exec node --import tsx scripts/phase3.ts "$@"
