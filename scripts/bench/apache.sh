#!/usr/bin/env bash
# An Apache instance of its own (own config, pid, ports, logs; never the
# system's apache2 service) in front of the hosts, configured by a fragment
# from `delivery lb-config --format apache`. Used by the demo, the benchmarks
# and the end-to-end tests.
#
#   scripts/bench/apache.sh start DIR LISTEN FRAGMENT   write DIR/httpd.conf, check it, start
#   scripts/bench/apache.sh reload DIR FRAGMENT         new fragment, graceful restart
#   scripts/bench/apache.sh check DIR LISTEN FRAGMENT   only write and `apache2 -t` it
#   scripts/bench/apache.sh stop DIR                    stop it (idempotent)
#
# LISTEN is ADDRESS:PORT, e.g. 127.50.0.1:8080.
set -euo pipefail

die() { printf 'apache.sh: %s\n' "$*" >&2; exit 2; }
MODULES=/usr/lib/apache2/modules

write_conf() {
  local dir=$1 listen=$2 fragment=$3
  [[ -f "$fragment" ]] || die "no such fragment: $fragment"
  mkdir -p "$dir"
  cp "$fragment" "$dir/lb.conf"
  local user=www-data
  id -u "$user" >/dev/null 2>&1 || user=nobody
  cat >"$dir/httpd.conf" <<CONF
# Written by scripts/bench/apache.sh: a private Apache, not the system service.
ServerRoot /etc/apache2
DefaultRuntimeDir $dir
PidFile $dir/httpd.pid
Mutex file:$dir default
ErrorLog $dir/error.log
LogLevel warn
LogFormat "%>s %D %U %{BALANCER_WORKER_NAME}e" short
CustomLog $dir/access.log short
Listen $listen
ServerName ${listen%:*}
User $user
Group $(id -gn "$user")
KeepAliveTimeout 15
MaxKeepAliveRequests 0
LoadModule mpm_event_module $MODULES/mod_mpm_event.so
LoadModule authz_core_module $MODULES/mod_authz_core.so
LoadModule proxy_module $MODULES/mod_proxy.so
LoadModule proxy_http_module $MODULES/mod_proxy_http.so
LoadModule proxy_balancer_module $MODULES/mod_proxy_balancer.so
LoadModule proxy_hcheck_module $MODULES/mod_proxy_hcheck.so
LoadModule slotmem_shm_module $MODULES/mod_slotmem_shm.so
LoadModule lbmethod_byrequests_module $MODULES/mod_lbmethod_byrequests.so
<IfModule !watchdog_module>
  LoadModule watchdog_module $MODULES/mod_watchdog.so
</IfModule>
<IfModule !log_config_module>
  LoadModule log_config_module $MODULES/mod_log_config.so
</IfModule>
<IfModule !unixd_module>
  LoadModule unixd_module $MODULES/mod_unixd.so
</IfModule>
Include $dir/lb.conf
CONF
  apache2 -t -f "$dir/httpd.conf" 2>&1 | grep -v '^Syntax OK$' >&2 || true
  apache2 -t -f "$dir/httpd.conf" >/dev/null 2>&1 || die "apache2 -t failed for $dir/httpd.conf"
}

running() { [[ -f "$1/httpd.pid" ]] && kill -0 "$(cat "$1/httpd.pid")" 2>/dev/null; }

case "${1:-}" in
  check)
    (( $# == 4 )) || die "usage: apache.sh check DIR LISTEN FRAGMENT"
    write_conf "$2" "$3" "$4"
    ;;
  start)
    (( $# == 4 )) || die "usage: apache.sh start DIR LISTEN FRAGMENT"
    dir=$(realpath -m "$2")
    if running "$dir"; then apache2 -f "$dir/httpd.conf" -k stop || true; fi
    write_conf "$dir" "$3" "$4"
    chmod 0755 "$dir"
    : >"$dir/access.log"
    : >"$dir/error.log"
    apache2 -f "$dir/httpd.conf" -k start
    for _ in $(seq 1 50); do running "$dir" && exit 0; sleep 0.1; done
    die "apache did not start; see $dir/error.log"
    ;;
  reload)
    (( $# == 3 )) || die "usage: apache.sh reload DIR FRAGMENT"
    dir=$(realpath -m "$2")
    cp "$3" "$dir/lb.conf"
    apache2 -t -f "$dir/httpd.conf" >/dev/null 2>&1 || die "apache2 -t failed"
    apache2 -f "$dir/httpd.conf" -k graceful
    ;;
  stop)
    (( $# == 2 )) || die "usage: apache.sh stop DIR"
    dir=$(realpath -m "$2")
    if running "$dir"; then
      pid=$(cat "$dir/httpd.pid")
      apache2 -f "$dir/httpd.conf" -k stop 2>/dev/null || kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    ;;
  *) die "usage: apache.sh start|reload|check|stop …" ;;
esac
