#!/usr/bin/env bash
# Provision real backing services without Docker.
#
#   bash scripts/services.sh up     [mysql] [redis] [kafka] [elasticsearch] [haproxy]
#   bash scripts/services.sh down   [names...]      (default: all)
#   bash scripts/services.sh status [names...]      (default: all)
#   bash scripts/services.sh env    [names...]      (exports of running ones)
#
# `up` prints only `export NAME=value` lines on stdout, so
#   eval "$(npm run -s services:up -- mysql redis)"
# works; progress goes to stderr. `up` is idempotent: already running services
# are left alone and their env is printed again.
#
# State (data, logs, pids, chosen ports): .services/<name>/{data,log,run}
# Download cache: ${STURDY_CACHE_DIR:-~/.cache/sturdy-chat}
# Versions: infra/versions.env
# Port overrides: SERVICES_MYSQL_PORT, SERVICES_REDIS_PORT, SERVICES_KAFKA_PORT
#   (controller uses port+1), SERVICES_ELASTICSEARCH_PORT (transport uses +100).
# haproxy is only installed (each cluster runs its own): `up` prints HAPROXY_BIN.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=services/common.sh
. "$HERE/services/common.sh"
ALL_SERVICES=(mysql redis kafka elasticsearch haproxy)
for s in "${ALL_SERVICES[@]}"; do
  # shellcheck disable=SC1090
  . "$HERE/services/$s.sh"
done

usage() {
  sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

normalise() {
  case "$1" in
    mysql|mariadb|db) echo mysql ;;
    redis) echo redis ;;
    kafka) echo kafka ;;
    elasticsearch|es|elastic) echo elasticsearch ;;
    haproxy|lb) echo haproxy ;;
    *) die "unknown service '$1' (known: ${ALL_SERVICES[*]})" ;;
  esac
}

cmd="${1:-}"; [ -n "$cmd" ] || usage; shift
names=()
for n in "$@"; do names+=("$(normalise "$n")"); done
[ "${#names[@]}" -gt 0 ] || names=("${ALL_SERVICES[@]}")

# Ready to use: a running daemon, or for install-only ones (haproxy) their own answer.
svc_available() {
  if declare -F "${1}_available" >/dev/null; then "${1}_available"; else svc_running "$1"; fi
}

lock_services() {
  # Serialise concurrent up/down runs (e.g. two npm scripts at once).
  mkdir -p "$SERVICES_DIR"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$SERVICES_DIR/.lock"
    flock -w 600 9 || die "could not lock $SERVICES_DIR/.lock"
  fi
}

case "$cmd" in
  up|down) lock_services ;;
esac

case "$cmd" in
  up)
    mkdir -p "$SERVICES_DIR" "$STURDY_CACHE_DIR"
    # 1) installs and downloads one at a time (apt/dpkg and the Maven local
    #    repository do not like concurrent writers);
    for n in "${names[@]}"; do svc_available "$n" || "${n}_prepare"; done
    # 2) start and wait for readiness in parallel (JVM start-ups overlap).
    declare -A jobs=()
    for n in "${names[@]}"; do
      ( "${n}_up" ) &
      jobs[$n]=$!
    done
    failed=()
    for n in "${names[@]}"; do wait "${jobs[$n]}" || failed+=("$n"); done
    [ "${#failed[@]}" -eq 0 ] || die "failed to start: ${failed[*]} (logs: $SERVICES_DIR/<name>/log)"
    for n in "${names[@]}"; do "${n}_env"; done
    ;;
  env)
    for n in "${names[@]}"; do svc_available "$n" && "${n}_env"; done
    ;;
  down)
    # Reverse order: dependants before what they depend on (none yet, but cheap).
    for ((i = ${#names[@]} - 1; i >= 0; i--)); do "${names[$i]}_down"; done
    ;;
  status)
    # Human-readable, on stdout (only `up` reserves stdout for exports).
    printf '%-14s %-8s %-8s %-8s %s\n' NAME STATE PID PORT DIR
    for n in "${names[@]}"; do
      if declare -F "${n}_state" >/dev/null; then state="$("${n}_state")"; pid=-
      elif pid="$(svc_pid "$n")"; then state=running; else state=stopped; pid=-; fi
      printf '%-14s %-8s %-8s %-8s %s\n' "$n" "$state" "$pid" "$(svc_saved_port "$n" || echo -)" \
        "$(svc_dir "$n")"
    done
    ;;
  *) usage ;;
esac
