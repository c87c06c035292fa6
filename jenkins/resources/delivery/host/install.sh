#!/usr/bin/env bash
# Host installer for delivery: deploy user, forced-command key, the rollout
# script, /etc/rollout/config, Docker's log defaults and the router with its
# 418 teapot default. Idempotent: running it twice changes nothing.
#
#   install.sh [--root DIR] [--dry-run] [--user NAME] [--key PUBKEY|FILE]
#              [--router haproxy|traefik] [--http-addr ADDR] [--http-port N]
#              [--publish-addr ADDR] [--set KEY=VALUE]...
#
# --root DIR installs every file under DIR (for tests): no user is created,
# no service is started or reloaded, and the forced command and the config
# point at the files under DIR.
set -euo pipefail
# write_file runs at the end of pipelines (`rollout_config | … | write_file`): in
# this shell, so what it records in CHANGED counts for the final message.
shopt -s lastpipe

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# The routers: each is one place here, <router>_config (its lines of
# /etc/rollout/config) and install_<router>; this list feeds --router.
ROUTERS=(haproxy traefik)
ROOT=""
DRY_RUN=0
DEPLOY_USER=deploy
KEYS=()
ROUTER=haproxy
HTTP_ADDR="*"
HTTP_PORT=80
PUBLISH_ADDR=127.0.0.1
POOL_SIZE=100
EXTRA=()
CHANGED=0

usage() {
  cat <<'EOF'
usage: install.sh [options]
  --root DIR            install under DIR instead of / (tests); creates no user, starts nothing
  --dry-run             print what would change, change nothing
  --user NAME           deploy user (default: deploy), gets Docker access
  --key PUBKEY|FILE     SSH public key for the deploy user (repeatable); added as
                        restrict,command="/usr/local/bin/rollout" KEY
  --router R            haproxy (default) or traefik (the ROUTERS list)
  --http-addr ADDR      address the router listens on (default: all)
  --http-port N         port the router listens on (default: 80)
  --publish-addr ADDR   loopback address app ports are published on (haproxy; default 127.0.0.1)
  --pool N              HAProxy backends in the route pool, one per app or preview (default 100)
  --set KEY=VALUE       extra line for /etc/rollout/config (repeatable)
EOF
}

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 2; }

# write_file PATH MODE: content on stdin; writes only when it differs.
write_file() {
  local path=$1 mode=$2 tmp
  tmp=$(mktemp)
  cat >"$tmp"
  if [[ -f "$path" ]] && cmp -s "$tmp" "$path"; then
    chmod "$mode" "$path" 2>/dev/null || true
    rm -f "$tmp"
    return 0
  fi
  CHANGED=1
  if ((DRY_RUN)); then
    if [[ -f "$path" ]]; then
      say "would update $path"
      diff -u "$path" "$tmp" >&2 || true
    else
      say "would create $path"
    fi
    rm -f "$tmp"
    return 0
  fi
  say "writing $path"
  mkdir -p "$(dirname "$path")"
  chmod "$mode" "$tmp"
  mv -f "$tmp" "$path"
}

make_dir() {
  local path=$1 mode=$2 owner=${3:-}
  if [[ ! -d "$path" ]]; then
    CHANGED=1
    if ((DRY_RUN)); then say "would create folder $path"; return 0; fi
    mkdir -p "$path"
  fi
  ((DRY_RUN)) && return 0
  chmod "$mode" "$path"
  if [[ -n "$owner" ]] && id "$owner" >/dev/null 2>&1; then
    chown "$owner:" "$path"
  fi
}

parse_args() {
  while (($#)); do
    case "$1" in
      --root) ROOT=${2:?--root needs a folder}; shift 2 ;;
      --dry-run) DRY_RUN=1; shift ;;
      --user) DEPLOY_USER=${2:?--user needs a name}; shift 2 ;;
      --key) KEYS+=("${2:?--key needs a key or a file}"); shift 2 ;;
      --router) ROUTER=${2:?}; shift 2 ;;
      --http-addr) HTTP_ADDR=${2:?}; shift 2 ;;
      --http-port) HTTP_PORT=${2:?}; shift 2 ;;
      --publish-addr) PUBLISH_ADDR=${2:?}; shift 2 ;;
      --pool) POOL_SIZE=${2:?}; shift 2 ;;
      --set) EXTRA+=("${2:?--set needs KEY=VALUE}"); shift 2 ;;
      -h|--help) usage; exit 0 ;;
      *) usage >&2; die "unknown option: $1" ;;
    esac
  done
  local r known=0
  for r in "${ROUTERS[@]}"; do [[ "$ROUTER" == "$r" ]] && known=1; done
  ((known)) || die "--router must be one of ${ROUTERS[*]}, not '$ROUTER'"
  [[ "$DEPLOY_USER" =~ ^[a-z_][a-z0-9_-]{0,31}$ ]] || die "--user: not a user name: $DEPLOY_USER"
  [[ "$HTTP_PORT" =~ ^[0-9]{1,5}$ ]] || die "--http-port must be a number"
  if ! [[ "$POOL_SIZE" =~ ^[0-9]{1,3}$ ]] || ((POOL_SIZE == 0)); then die "--pool must be 1..999"; fi
  local kv
  for kv in "${EXTRA[@]}"; do
    [[ "$kv" =~ ^[A-Z][A-Z0-9_]*=[^$'\n']*$ ]] || die "--set: expected KEY=VALUE, got '$kv'"
  done
  if [[ -n "$ROOT" ]]; then
    [[ "$ROOT" == /* ]] || ROOT="$PWD/$ROOT"
    ROOT=${ROOT%/}
  fi
}

key_lines() {
  local k line cmd="$ROOT/usr/local/bin/rollout"
  for k in "${KEYS[@]}"; do
    if [[ -f "$k" ]]; then line=$(head -n1 "$k"); else line=$k; fi
    [[ "$line" =~ ^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521))\ [A-Za-z0-9+/=]+(\ .*)?$ ]] \
      || die "--key: not an SSH public key: ${line:0:40}"
    printf 'restrict,command="%s" %s\n' "$cmd" "$line"
  done
}

ensure_user() {
  if [[ -n "$ROOT" ]]; then
    id "$DEPLOY_USER" >/dev/null 2>&1 || say "note: user $DEPLOY_USER does not exist (--root creates no user)"
    return 0
  fi
  if ! id "$DEPLOY_USER" >/dev/null 2>&1; then
    CHANGED=1
    if ((DRY_RUN)); then say "would create user $DEPLOY_USER in group docker"; return 0; fi
    say "creating user $DEPLOY_USER"
    useradd --create-home --shell /bin/bash --groups docker "$DEPLOY_USER"
    # '*' = no password but not locked, so sshd accepts keys without PAM.
    usermod -p '*' "$DEPLOY_USER"
  elif ! id -nG "$DEPLOY_USER" | tr ' ' '\n' | grep -qx docker; then
    CHANGED=1
    if ((DRY_RUN)); then say "would add $DEPLOY_USER to group docker"; return 0; fi
    usermod -aG docker "$DEPLOY_USER"
  fi
}

user_home() {
  if [[ -n "$ROOT" ]]; then
    printf '%s/home/%s\n' "$ROOT" "$DEPLOY_USER"
  else
    # a user not created yet (a dry run on a bare host) has no home: not an error
    getent passwd "$DEPLOY_USER" | cut -d: -f6 || true
  fi
}

install_keys() {
  ((${#KEYS[@]})) || return 0
  local home ak
  home=$(user_home)
  [[ -n "$home" ]] || home="/home/$DEPLOY_USER"
  ak="$home/.ssh/authorized_keys"
  local want
  want=$(key_lines)
  local have=""
  [[ -f "$ak" ]] && have=$(cat "$ak")
  # keep the other keys; replace lines holding the same key material
  {
    if [[ -n "$have" ]]; then
      local line keep k
      while IFS= read -r line; do
        keep=1
        while IFS= read -r k; do
          [[ -n "$k" && "$line" == *"${k#* }"* ]] && keep=0
        done < <(printf '%s\n' "$want" | sed 's/^[^ ]* //')
        ((keep)) && printf '%s\n' "$line"
      done <<<"$have"
    fi
    printf '%s\n' "$want"
  } | write_file "$ak" 600
  ((DRY_RUN)) && return 0
  # sshd reads the file as the user; StrictModes accepts root- or user-owned.
  if id "$DEPLOY_USER" >/dev/null 2>&1; then chown "$DEPLOY_USER:" "$ak"; fi
  if [[ -z "$ROOT" ]]; then
    chown "$DEPLOY_USER:" "$home/.ssh"
    chmod 700 "$home/.ssh"
  fi
}

rollout_config() {
  local state="$ROOT/var/lib/rollout"
  cat <<EOF
# /etc/rollout/config, written by install.sh: KEY=VALUE lines, parsed (never sourced).
ROLLOUT_ROOT=$state
ROUTER=$ROUTER
KEEP_RELEASES=5
HEALTH_TIMEOUT=120
DRAIN_SECONDS=5
ROLLBACK_WINDOW=300
LOCK_WAIT=60
MAX_BUNDLE_BYTES=52428800
PROJECT_PREFIX=
LOG_MAX_SIZE=10m
LOG_MAX_FILE=3
# The host policy refuses host privileges by default (privileged, host
# namespaces, cap_add, devices, security_opt, bind mounts outside
# BIND_PREFIXES); a refusal names the line that would allow it, e.g.
# ALLOW_PRIVILEGED=1, ALLOW_BIND=/var/run/docker.sock (README, Security).
BIND_PREFIXES=/opt /srv
EOF
  "${ROUTER}_config"
  local kv
  for kv in "${EXTRA[@]}"; do printf '%s\n' "$kv"; done
}

# Later lines override earlier ones for the same key: keep only the last.
dedupe_config() {
  awk -F= '
    /^#/ || !/=/ { lines[NR]=$0; next }
    { lines[NR]=$0; last[$1]=NR; key[NR]=$1 }
    END { for (i=1; i<=NR; i++) if (!(i in key) || last[key[i]]==i) print lines[i] }'
}

# shellcheck disable=SC2317  # called as "${ROUTER}_config"
haproxy_config() {
  cat <<EOF
HAPROXY_SOCKET=$ROOT/run/haproxy/delivery.sock
HAPROXY_MAP_DIR=$ROOT/etc/haproxy/delivery
HAPROXY_POOL_SIZE=$POOL_SIZE
PUBLISH_ADDR=$PUBLISH_ADDR
PORT_RANGE=20000-20999
EOF
}

# shellcheck disable=SC2317  # called as "${ROUTER}_config"
traefik_config() {
  echo "TRAEFIK_NETWORK=delivery-traefik"
}

haproxy_cfg() {
  local dir="$ROOT/etc/haproxy/delivery" sock="$ROOT/run/haproxy/delivery.sock"
  # a real install drops root after binding; under --root (tests) it stays as is
  local HAPROXY_USER_LINES=""
  [[ -z "$ROOT" ]] && HAPROXY_USER_LINES=$'    user haproxy\n    group haproxy\n'

  local bind="$HTTP_ADDR:$HTTP_PORT" i name
  cat <<EOF
# HAProxy for delivery, written by install.sh. Nothing here changes per app:
# rollout fills the route maps and the server slots through the runtime API
# (no reload) and saves the same state beside this file (maps, and
# servers.state with each slot's port and state), so a restarted HAProxy
# comes back on the current color. Slots are declared on the publish
# address: a server-state file restores ports, not addresses.
global
${HAPROXY_USER_LINES}    stats socket $sock mode 660 level admin user $DEPLOY_USER expose-fd listeners
    server-state-file $dir/servers.state
    log stderr format short local0 notice

defaults
    mode http
    log global
    load-server-state-from-file global
    option redispatch
    retries 3
    retry-on conn-failure empty-response response-timeout
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    timeout http-request 10s
    timeout http-keep-alive 10s

frontend delivery
    bind $bind
    http-request set-var(txn.backend) req.hdr(host),field(1,:),lower,map_str($dir/hosts.map)
    http-request set-var(txn.backend) path,map_beg($dir/paths.map) unless { var(txn.backend) -m found }
    http-request set-var(txn.strip) path,map_beg($dir/strip.map) if !{ req.hdr(host),field(1,:),lower,map_str($dir/hosts.map) -m found }
    http-request replace-path ^/[^/]+(/.*)\$ \1 if { var(txn.strip) -m str 1 }
    http-request replace-path ^/[^/]+/[^/]+(/.*)\$ \1 if { var(txn.strip) -m str 2 }
    http-request replace-path ^/[^/]+/[^/]+/[^/]+(/.*)\$ \1 if { var(txn.strip) -m str 3 }
    http-request replace-path ^/[^/]+/[^/]+/[^/]+/[^/]+(/.*)\$ \1 if { var(txn.strip) -m str 4 }
    use_backend %[var(txn.backend)] if { var(txn.backend) -m found }
    default_backend teapot

# The teapot: a request no route claims gets 418, so the upstream balancer
# (failonstatus=418) skips this host for that app.
backend teapot
    http-request return status 418 content-type text/plain string "I'm a teapot: no app here\n"
EOF
  for ((i = 1; i <= POOL_SIZE; i++)); do
    printf -v name 'pool%02d' "$i"
    cat <<EOF

backend $name
    server blue $PUBLISH_ADDR:1 disabled
    server green $PUBLISH_ADDR:1 disabled
EOF
  done
}

# shellcheck disable=SC2317  # called as "install_$ROUTER"
install_haproxy() {
  local dir="$ROOT/etc/haproxy/delivery"
  make_dir "$dir" 755 "$DEPLOY_USER"
  make_dir "$ROOT/run/haproxy" 755
  local f
  for f in paths.map hosts.map strip.map servers.state; do
    if [[ ! -f "$dir/$f" ]]; then
      : | write_file "$dir/$f" 644
    fi
    if ((!DRY_RUN)) && id "$DEPLOY_USER" >/dev/null 2>&1; then chown "$DEPLOY_USER:" "$dir/$f"; fi
  done
  haproxy_cfg | write_file "$ROOT/etc/haproxy/haproxy.cfg" 644
  if [[ -z "$ROOT" ]] && ((!DRY_RUN)) && command -v systemctl >/dev/null 2>&1; then
    systemctl enable --now haproxy >/dev/null 2>&1 || true
    systemctl reload-or-restart haproxy
  fi
}

# shellcheck disable=SC2317  # called as "install_$ROUTER"
install_traefik() {
  local dir="$ROOT/opt/delivery/traefik"
  write_file "$dir/docker-compose.yml" 644 <"$HERE/traefik/docker-compose.yml"
  write_file "$dir/teapot/Dockerfile" 644 <"$HERE/traefik/teapot/Dockerfile"
  write_file "$dir/teapot/teapot.sh" 755 <"$HERE/traefik/teapot/teapot.sh"
  printf 'HTTP_ADDR=%s\nHTTP_PORT=%s\n' "${HTTP_ADDR/#\*/0.0.0.0}" "$HTTP_PORT" | write_file "$dir/.env" 644
  if [[ -z "$ROOT" ]] && ((!DRY_RUN)); then
    docker network inspect delivery-traefik >/dev/null 2>&1 || docker network create delivery-traefik >/dev/null
    docker compose -p delivery-traefik -f "$dir/docker-compose.yml" up -d --build
  fi
}

# Merge log-driver/log-opts into daemon.json, keeping every other key.
docker_daemon_json() {
  local f="$ROOT/etc/docker/daemon.json" cur='{}'
  if [[ -s "$f" ]]; then
    command -v jq >/dev/null 2>&1 || die "$f exists: jq is needed to merge log settings into it (apt-get install jq)"
    cur=$(cat "$f")
  fi
  if command -v jq >/dev/null 2>&1; then
    jq --sort-keys '. + {"log-driver": "json-file", "log-opts": ((.["log-opts"] // {}) + {"max-size": "10m", "max-file": "3"})}' <<<"$cur"
  else
    printf '{\n  "log-driver": "json-file",\n  "log-opts": {\n    "max-file": "3",\n    "max-size": "10m"\n  }\n}\n'
  fi | write_file "$f" 644
  if [[ -z "$ROOT" ]] && ((CHANGED && !DRY_RUN)); then
    say "log defaults apply to containers created after dockerd restarts: systemctl restart docker (when convenient)"
  fi
}

main() {
  parse_args "$@"
  ((DRY_RUN)) && say "dry run: nothing is changed"
  ensure_user
  install_keys
  make_dir "$ROOT/usr/local/bin" 755
  write_file "$ROOT/usr/local/bin/rollout" 755 <"$HERE/rollout"
  make_dir "$ROOT/etc/rollout" 755
  rollout_config | dedupe_config | write_file "$ROOT/etc/rollout/config" 644
  make_dir "$ROOT/var/lib/rollout" 755 "$DEPLOY_USER"
  docker_daemon_json
  "install_$ROUTER"
  if ((CHANGED)); then say "done"; else say "nothing to change"; fi
}

main "$@"
