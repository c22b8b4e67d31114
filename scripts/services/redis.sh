# shellcheck shell=bash
# redis: redis-server (Debian package) on its own port/dir under .services/redis.

REDIS_DEFAULT_PORT=36379

redis_ensure_installed() {
  command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 \
    || apt_install redis-server redis-tools
}

# Install/download only (run sequentially before the parallel start).
redis_prepare() { redis_ensure_installed; }

redis_ping() { [ "$(redis-cli -h 127.0.0.1 -p "$1" PING 2>/dev/null)" = PONG ]; }

redis_up() {
  local dir; dir="$(svc_dir redis)"
  if svc_running redis; then
    log "redis already running (pid $(svc_pid redis), port $(svc_saved_port redis))"
    return 0
  fi
  local t0; t0="$(now_s)"
  redis_ensure_installed
  svc_mkdirs redis
  local port; port="$(pick_port "${SERVICES_REDIS_PORT:-$(svc_saved_port redis || echo "$REDIS_DEFAULT_PORT")}")" || exit 1
  rm -f "$dir/run/pid"
  # Dev/test instance: no persistence (tests flush freely), loopback only.
  redis-server --port "$port" --bind 127.0.0.1 --protected-mode yes \
    --dir "$dir/data" --daemonize yes --pidfile "$dir/run/pid" \
    --logfile "$dir/log/redis.log" --save "" --appendonly no 9>&- \
    || die "redis-server failed to start"
  echo "$port" >"$(svc_port_file redis)"
  wait_until 30 "redis PING" redis_ping "$port" || { tail -n 20 "$dir/log/redis.log" >&2; die "redis did not start"; }
  log "redis ready on 127.0.0.1:$port (pid $(svc_pid redis)) in $(elapsed "$t0")"
}

redis_env() { emit_env REDIS_URL "redis://127.0.0.1:$(svc_saved_port redis)"; }

redis_down() {
  local pid
  pid="$(svc_pid redis)" || { log "redis not running"; return 0; }
  log "stopping redis (pid $pid)"
  stop_pid redis "$pid" 30
  rm -f "$(svc_dir redis)/run/pid"
}
