# shellcheck shell=bash
# haproxy: the Phase 3 load balancer (Debian package, 2.6.x on bookworm).
#
# Installed only, never run here: every cluster (a test, `npm run phase3`)
# starts its own haproxy in the foreground with its own generated config
# (shared/src/testing/haproxy.ts), so there is no shared daemon, port or pid.
# `up` installs it and prints HAPROXY_BIN; `down` has nothing to stop.

haproxy_bin() {
  command -v haproxy 2>/dev/null && return 0
  [ -x /usr/sbin/haproxy ] && { echo /usr/sbin/haproxy; return 0; }
  return 1
}

# The package's postinst starts a system haproxy on /etc/haproxy/haproxy.cfg
# wherever the init system lets it (containers with a policy-rc.d that says
# 101 do not). Nothing here uses it and it could hold ports: stop and disable it.
haproxy_stop_system_daemon() {
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    systemctl disable --now haproxy >/dev/null 2>&1 || true
  fi
  local pid
  [ -r /run/haproxy.pid ] && pid="$(tr -dc 0-9 </run/haproxy.pid)" || pid=
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    log "stopping the system haproxy the Debian package started (pid $pid)"
    command -v invoke-rc.d >/dev/null 2>&1 && invoke-rc.d haproxy stop >&2 2>&1 || true
    kill -0 "$pid" 2>/dev/null && stop_pid haproxy "$pid" 10
  fi
  command -v update-rc.d >/dev/null 2>&1 && update-rc.d haproxy disable >/dev/null 2>&1 || true
}

haproxy_ensure_installed() {
  haproxy_bin >/dev/null && return 0
  apt_install haproxy
  haproxy_stop_system_daemon
  haproxy_bin >/dev/null || die "haproxy is still missing after apt-get install haproxy"
}

# Install only (run sequentially before the parallel start).
haproxy_prepare() { haproxy_ensure_installed; }

# Nothing to start: check the binary and say which version the clusters will run.
haproxy_up() {
  haproxy_ensure_installed
  log "haproxy installed: $("$(haproxy_bin)" -v 2>/dev/null | head -n 1) ($(haproxy_bin)); each cluster runs its own"
}

haproxy_env() { emit_env HAPROXY_BIN "$(haproxy_bin)"; }

haproxy_down() { :; }

# services.sh asks these instead of a pid: haproxy is available once installed (status: present).
haproxy_available() { haproxy_bin >/dev/null; }
haproxy_state() { if haproxy_bin >/dev/null; then echo present; else echo missing; fi; }
