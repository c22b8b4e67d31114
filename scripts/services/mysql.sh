# shellcheck shell=bash
# mysql: MariaDB (Debian package) with its own datadir/socket/port under .services/mysql.

MYSQL_DEFAULT_PORT=33306

mysql_server_bin() {
  local b
  for b in mariadbd mysqld /usr/sbin/mariadbd /usr/sbin/mysqld; do
    if command -v "$b" >/dev/null 2>&1; then command -v "$b"; return 0; fi
  done
  return 1
}

mysql_client_bin() {
  local b
  for b in mariadb mysql; do
    if command -v "$b" >/dev/null 2>&1; then command -v "$b"; return 0; fi
  done
  return 1
}

mysql_ensure_installed() {
  if ! mysql_server_bin >/dev/null || ! command -v mariadb-install-db >/dev/null 2>&1 \
     || ! mysql_client_bin >/dev/null; then
    apt_install mariadb-server mariadb-client
  fi
}

# Install/download only (run sequentially before the parallel start).
mysql_prepare() { mysql_ensure_installed; }

mysql_socket() { printf '%s/run/mysqld.sock' "$(svc_dir mysql)"; }

mysql_sql() {
  # mysql_sql <sql>: run SQL as root over our unix socket.
  "$(mysql_client_bin)" --no-defaults --protocol=socket -S "$(mysql_socket)" -uroot -N -B -e "$1"
}

mysql_tcp_ok() {
  "$(mysql_client_bin)" --no-defaults --protocol=tcp -h127.0.0.1 -P"$1" -uroot -N -B \
    -e 'SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = "chat"' | grep -q 1
}

mysql_up() {
  local dir; dir="$(svc_dir mysql)"
  if svc_running mysql; then
    log "mysql already running (pid $(svc_pid mysql), port $(svc_saved_port mysql))"
    return 0
  fi
  local t0; t0="$(now_s)"
  mysql_ensure_installed
  svc_mkdirs mysql
  local port; port="$(pick_port "${SERVICES_MYSQL_PORT:-$(svc_saved_port mysql || echo "$MYSQL_DEFAULT_PORT")}")" || exit 1
  local userarg=()
  is_root && userarg=(--user=root)

  if [ ! -d "$dir/data/mysql" ]; then
    log "mysql: initialising datadir $dir/data"
    mariadb-install-db --no-defaults "${userarg[@]}" --datadir="$dir/data" \
      --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve \
      >"$dir/log/install-db.log" 2>&1 \
      || { cat "$dir/log/install-db.log" >&2; die "mariadb-install-db failed"; }
  fi

  rm -f "$(mysql_socket)"
  local pid
  pid="$(spawn_detached "$dir/log/stdout.log" "$(mysql_server_bin)" --no-defaults "${userarg[@]}" \
    --datadir="$dir/data" \
    --socket="$(mysql_socket)" \
    --pid-file="$dir/run/mariadbd.pid" \
    --log-error="$dir/log/error.log" \
    --port="$port" --bind-address=127.0.0.1 --skip-name-resolve \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
    --innodb-buffer-pool-size=128M \
    --max-connections=500)"
  echo "$pid" >"$dir/run/pid"
  echo "$port" >"$(svc_port_file mysql)"

  if ! wait_until 60 "mysql on socket" mysql_sql 'SELECT 1'; then
    tail -n 30 "$dir/log/error.log" >&2 || true
    die "mysql did not start"
  fi
  # root without password over TCP from 127.0.0.1 (install-db's `normal` mode
  # creates it; make sure anyway), database `chat`, and full privileges so
  # tests can create per-run databases.
  mysql_sql "
    CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '';
    GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
    CREATE DATABASE IF NOT EXISTS chat CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    FLUSH PRIVILEGES;" || die "mysql: bootstrap SQL failed"
  wait_until 30 "mysql over TCP" mysql_tcp_ok "$port" || die "mysql does not answer on 127.0.0.1:$port"
  log "mysql ready on 127.0.0.1:$port (pid $pid) in $(elapsed "$t0")"
}

mysql_env() {
  emit_env DATABASE_URL "mysql://root@127.0.0.1:$(svc_saved_port mysql)/chat"
}

mysql_down() {
  local pid
  pid="$(svc_pid mysql)" || { log "mysql not running"; return 0; }
  log "stopping mysql (pid $pid)"
  stop_pid mysql "$pid" 60
  rm -f "$(svc_dir mysql)/run/pid"
}
