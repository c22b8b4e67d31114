#!/usr/bin/env bash
# `npm run phase3`: provisions MySQL (MariaDB), Redis, Kafka and Elasticsearch
# locally when their variables are unset, then starts every Phase 3 service.
set -euo pipefail
cd "$(dirname "$0")/.."
want=()
[ -z "${DATABASE_URL:-}" ] && want+=(mysql)
[ -z "${REDIS_URL:-}" ] && want+=(redis)
[ -z "${KAFKA_BROKERS:-}" ] && want+=(kafka)
[ -z "${ELASTICSEARCH_URL:-}" ] && want+=(elasticsearch)
if [ ${#want[@]} -gt 0 ]; then eval "$(bash scripts/services.sh up "${want[@]}")"; fi
exec node --import tsx scripts/phase3.ts
