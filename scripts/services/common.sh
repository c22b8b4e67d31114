# shellcheck shell=bash
# Shared helpers for scripts/services.sh. Sourced, not executed.
#
# Conventions:
#   stdout  -> only `export NAME=value` lines (callers eval them)
#   stderr  -> everything else (progress, logs, errors)
#   state   -> $SERVICES_DIR/<name>/{data,log,run}; run/pid and run/port(s) are ours
#   cache   -> $STURDY_CACHE_DIR (downloads; survives `rm -rf .services`)

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SERVICES_DIR="${SERVICES_DIR:-$REPO_ROOT/.services}"
STURDY_CACHE_DIR="${STURDY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sturdy-chat}"
# Maven repository used for Kafka jars and the Elasticsearch zip. Kept inside our
# cache by default so the whole download cache is one directory; set
# STURDY_MAVEN_REPO=$HOME/.m2/repository to share the user's repository instead.
STURDY_MAVEN_REPO="${STURDY_MAVEN_REPO:-$STURDY_CACHE_DIR/m2}"
MAVEN_DEPENDENCY_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.8.1"

# shellcheck disable=SC1091
set -a; . "$REPO_ROOT/infra/versions.env"; set +a

log() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] ERROR: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" = 0 ]; }

now_s() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now_s)" 'BEGIN { printf "%.1fs", b - a }'; }

svc_dir() { printf '%s/%s' "$SERVICES_DIR" "$1"; }

svc_mkdirs() {
  local d; d="$(svc_dir "$1")"
  mkdir -p "$d/data" "$d/log" "$d/run"
}

# pid of a service if it is alive, else empty.
svc_pid() {
  local f; f="$(svc_dir "$1")/run/pid"
  [ -s "$f" ] || return 1
  local pid; pid="$(tr -dc 0-9 < "$f")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  # Guard against a stale pid file whose pid now belongs to something else.
  if [ -r "/proc/$pid/cmdline" ]; then
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -Eq "$(svc_cmd_pattern "$1")" || return 1
  fi
  printf '%s' "$pid"
}

svc_cmd_pattern() {
  case "$1" in
    mysql) echo 'mariadbd|mysqld' ;;
    redis) echo 'redis-server' ;;
    kafka) echo 'kafka\.Kafka' ;;
    elasticsearch) echo 'org\.elasticsearch\.' ;;
    *) echo . ;;
  esac
}

svc_running() { svc_pid "$1" >/dev/null; }

# Is something listening on 127.0.0.1:<port> (or any address on that port)?
port_in_use() {
  local port="$1"
  if command -v ss >/dev/null 2>&1; then
    [ -n "$(ss -Hltn "sport = :$port" 2>/dev/null)" ]
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
  fi
}

# pick_port <preferred> [<count>]: first port >= preferred such that ports
# port..port+count-1 are all free. Prints it.
pick_port() {
  local port="$1" count="${2:-1}" tries=0 i ok
  while [ "$tries" -lt 200 ]; do
    ok=1
    for ((i = 0; i < count; i++)); do
      if port_in_use $((port + i)); then ok=0; break; fi
    done
    if [ "$ok" = 1 ]; then printf '%s' "$port"; return 0; fi
    if [ "$count" -gt 1 ]; then
      log "port $port..$((port + count - 1)) is (partly) taken by something else, trying $((port + count))"
    else
      log "port $port is taken by something else, trying $((port + 1))"
    fi
    port=$((port + count)); tries=$((tries + 1))
  done
  die "no free port found near $1"
}

# Port of a service: remembered one if present, else default. Env override
# <NAME>_PORT (e.g. REDIS_PORT) wins.
svc_port_file() { printf '%s/run/port' "$(svc_dir "$1")"; }
svc_saved_port() {
  local f; f="$(svc_port_file "$1")"
  [ -s "$f" ] && cat "$f"
}

# wait_until <timeout-seconds> <description> <command...>
wait_until() {
  local timeout="$1" what="$2"; shift 2
  local deadline=$(( $(date +%s) + timeout ))
  while ! "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log "timed out after ${timeout}s waiting for $what"
      return 1
    fi
    sleep 0.5
  done
}

# stop_pid <name> <pid> <timeout>: SIGTERM, wait, SIGKILL as a last resort.
stop_pid() {
  local name="$1" pid="$2" timeout="${3:-30}"
  kill -TERM "$pid" 2>/dev/null || return 0
  local deadline=$(( $(date +%s) + timeout ))
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log "$name (pid $pid) did not stop within ${timeout}s, sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.3
  done
}

# Run a command detached from our session (survives npm/shell exit),
# stdout+stderr to a log file, prints the pid.
spawn_detached() {
  local logfile="$1"; shift
  setsid "$@" </dev/null >>"$logfile" 2>&1 9>&- &
  printf '%s' "$!"
}

apt_install() {
  # apt_install <package...>: install Debian packages, running `apt-get update`
  # first only if the plain install fails (fresh CI machines).
  is_root || die "need root to apt-get install $* (install it yourself or run as root)"
  log "installing $* from Debian packages"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y --no-install-recommends "$@" >&2; then
    apt-get update >&2 && apt-get install -y --no-install-recommends "$@" >&2 \
      || die "apt-get install $* failed"
  fi
}

need_java() {
  command -v java >/dev/null 2>&1 || apt_install openjdk-17-jre-headless
  local major
  major="$(java -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}')"
  [ "${major%%.*}" -ge 17 ] 2>/dev/null || die "Java 17+ required (found ${major:-none})"
}

need_maven() {
  command -v mvn >/dev/null 2>&1 || apt_install maven
}

mvn_quiet() {
  mvn -B -q -Dstyle.color=never -Dmaven.repo.local="$STURDY_MAVEN_REPO" "$@" >&2
}

emit_env() { printf 'export %s=%q\n' "$1" "$2"; }
