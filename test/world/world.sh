#!/usr/bin/env bash
# The test world: on this one machine, a registry with a password, the
# busybox base image, test app images, and N "hosts", each an sshd with a
# forced-command rollout key, its own rollout config and state, and its own
# HAProxy, all on the loopback subnet 127.ID.0.0/24. See README.md here.
#
#   world.sh up ID NHOSTS [--router haproxy|traefik]   (idempotent)
#   world.sh down ID                                    (idempotent)
#   world.sh base                                       (only the images)
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEPLOY_USER=delivery-deploy
BASE_IMAGE=delivery/base:busybox
APP_IMAGE=delivery-test/app
APP_VERSIONS=(v1 v2 v3 broken)
SSH_PORT=2222
HTTP_PORT=8080
REGISTRY_USER=delivery
GLOBAL_LOCK=/run/lock/delivery-world.lock

say() { printf 'world: %s\n' "$*" >&2; }
die() { printf 'world: %s\n' "$*" >&2; exit 2; }

usage() {
  cat >&2 <<'EOF'
usage: world.sh up ID NHOSTS [--router haproxy|traefik]
       world.sh down ID
       world.sh base
ID is 1..254: the world lives on 127.ID.0.0/24 and in .tmp/world-ID/.
EOF
  exit 2
}

# Run "$@" holding the machine-wide world lock (user, base image).
locked() {
  mkdir -p "$(dirname "$GLOBAL_LOCK")"
  (
    flock -w 300 9 || die "timed out waiting for $GLOBAL_LOCK"
    "$@"
  ) 9>"$GLOBAL_LOCK"
}

ensure_user() {
  if ! id "$DEPLOY_USER" >/dev/null 2>&1; then
    say "creating user $DEPLOY_USER (group docker)"
    useradd --create-home --shell /bin/bash --groups docker "$DEPLOY_USER"
  fi
  id -nG "$DEPLOY_USER" | tr ' ' '\n' | grep -qx docker || usermod -aG docker "$DEPLOY_USER"
  # '*': no password, but not locked, so sshd (without PAM) accepts keys.
  [[ "$(getent shadow "$DEPLOY_USER" | cut -d: -f2)" == '*' ]] || usermod -p '*' "$DEPLOY_USER"
}

build_base() {
  if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then return 0; fi
  local bb rootfs applet
  bb=$(command -v busybox) || die "busybox-static is not installed (apt-get install busybox-static)"
  rootfs=$(mktemp -d)
  mkdir -p "$rootfs"/{bin,etc,tmp,root,www,var/run}
  chmod 1777 "$rootfs/tmp"
  cp "$bb" "$rootfs/bin/busybox"
  for applet in $("$bb" --list); do
    [[ "$applet" == busybox ]] || ln -s busybox "$rootfs/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
  say "importing $BASE_IMAGE from $bb"
  tar -C "$rootfs" --numeric-owner --owner=0 --group=0 -c . |
    docker import --change 'CMD ["/bin/sh"]' --change 'ENV PATH=/bin' - "$BASE_IMAGE" >/dev/null
  rm -rf "$rootfs"
}

build_apps() {
  local v hash have
  # rebuilt only when the Dockerfile or the base changed
  hash=$( (cat "$REPO/test/world/app/Dockerfile"; docker image inspect --format '{{.Id}}' "$BASE_IMAGE") | sha256sum | cut -c1-16)
  for v in "${APP_VERSIONS[@]}"; do
    have=$(docker image inspect --format '{{index .Config.Labels "delivery.test.hash"}}' "$APP_IMAGE:$v" 2>/dev/null || true)
    [[ "$have" == "$hash" ]] && continue
    docker build -q --label "delivery.test.hash=$hash" --build-arg "VERSION=$v" -t "$APP_IMAGE:$v" "$REPO/test/world/app" >/dev/null
  done
}

images() {
  locked build_base
  locked build_apps
}

# alive and not a zombie (PID 1 here may not reap daemons' children)
alive() { [[ -r "/proc/$1/stat" ]] && [[ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" != Z ]]; }
pid_alive() { [[ -f "$1" ]] && alive "$(cat "$1")"; }

stop_pid() {
  local f=$1 pid i
  if pid_alive "$f"; then
    pid=$(cat "$f")
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do alive "$pid" || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

start_registry() {
  local dir="$W/registry" addr="127.$ID.0.1"
  mkdir -p "$dir/data"
  chmod 700 "$dir"
  if [[ ! -s "$dir/password" ]]; then
    (umask 077; openssl rand -hex 16 >"$dir/password")
  fi
  if [[ ! -s "$dir/htpasswd" ]]; then
    (umask 077; htpasswd -iB -n "$REGISTRY_USER" <"$dir/password" >"$dir/htpasswd" 2>/dev/null) \
      || die "htpasswd failed (apt-get install apache2-utils)"
  fi
  cat >"$dir/config.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: $addr:5000
  secret: $(openssl rand -hex 8)
auth:
  htpasswd:
    realm: delivery-world-$ID
    path: $dir/htpasswd
EOF
  if ! pid_alive "$dir/pid"; then
    setsid docker-registry serve "$dir/config.yml" >>"$dir/registry.log" 2>&1 </dev/null &
    echo $! >"$dir/pid"
  fi
  local i code
  for ((i = 0; i < 100; i++)); do
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://$addr:5000/v2/" || true)
    [[ "$code" == 401 ]] && break
    sleep 0.1
  done
  [[ "$code" == 401 ]] || die "registry on $addr:5000 did not come up (see $dir/registry.log)"
  # Push with a Docker config of the world's own, never the global login.
  mkdir -p "$W/docker-config"
  chmod 700 "$W/docker-config"
  local auth
  auth=$(printf '%s:%s' "$REGISTRY_USER" "$(cat "$dir/password")" | base64 -w0)
  (umask 077; printf '{"auths":{"%s:5000":{"auth":"%s"}}}\n' "$addr" "$auth" >"$W/docker-config/config.json")
}

push_apps() {
  local v ref pids=() p
  for v in "${APP_VERSIONS[@]}"; do
    ref="127.$ID.0.1:5000/$APP_IMAGE:$v"
    docker tag "$APP_IMAGE:$v" "$ref"
    DOCKER_CONFIG="$W/docker-config" docker push -q "$ref" >/dev/null &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || die "push to 127.$ID.0.1:5000 failed"; done
}

client_key() {
  if [[ ! -f "$W/client_key" ]]; then
    ssh-keygen -q -t ed25519 -N '' -C "delivery-world-$ID" -f "$W/client_key"
  fi
  chmod 600 "$W/client_key"
}

start_host() {
  local i=$1 router=$2
  local name="h$i" addr="127.$ID.0.$((10 + i))" hd="$W/h$i"
  local root="$hd/root"
  mkdir -p "$hd"
  chmod 755 "$hd"
  [[ -f "$hd/ssh_host_ed25519_key" ]] || ssh-keygen -q -t ed25519 -N '' -C "$name" -f "$hd/ssh_host_ed25519_key"
  # 8 backends unless WORLD_POOL says a number or "default" (install.sh's own)
  local -a pool_args=(--pool "${WORLD_POOL:-8}")
  [[ "${WORLD_POOL:-}" == default ]] && pool_args=()
  bash "$REPO/src/host/install.sh" --root "$root" --user "$DEPLOY_USER" --key "$W/client_key.pub" \
    --router "$router" --http-addr "$addr" --http-port "$HTTP_PORT" --publish-addr "$addr" ${pool_args[@]+"${pool_args[@]}"} \
    --set "PROJECT_PREFIX=w${ID}h${i}-" --set DRAIN_SECONDS=1 --set HEALTH_TIMEOUT=30 \
    --set KEEP_RELEASES=3 --set LOCK_WAIT=2 --set "ROLLOUT_HOST=$name" --set ROLLBACK_WINDOW=0 \
    ${TRAEFIK_NET:+--set "TRAEFIK_NETWORK=$TRAEFIK_NET"} 2>"$hd/install.log" \
    || { cat "$hd/install.log" >&2; die "install.sh failed for $name"; }
  # sshd: StrictModes wants the key file and every folder above it owned by
  # root (or the user) and not writable by group or others: all are root 755.
  cat >"$hd/sshd_config" <<EOF
ListenAddress $addr:$SSH_PORT
HostKey $hd/ssh_host_ed25519_key
PidFile $hd/sshd.pid
AuthorizedKeysFile $root/home/$DEPLOY_USER/.ssh/authorized_keys
AllowUsers $DEPLOY_USER
PermitRootLogin no
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes yes
SetEnv ROLLOUT_CONFIG=$root/etc/rollout/config
LogLevel VERBOSE
MaxStartups 50:30:100
MaxSessions 20
EOF
  mkdir -p /run/sshd
  /usr/sbin/sshd -t -f "$hd/sshd_config" || die "sshd config invalid: $hd/sshd_config"
  if pid_alive "$hd/sshd.pid"; then
    kill -HUP "$(cat "$hd/sshd.pid")"
  else
    /usr/sbin/sshd -f "$hd/sshd_config" -E "$hd/sshd.log"
  fi
  if [[ "$router" == haproxy ]]; then
    haproxy -c -q -f "$root/etc/haproxy/haproxy.cfg" || die "haproxy config invalid for $name"
    if ! pid_alive "$hd/haproxy.pid"; then
      haproxy -D -p "$hd/haproxy.pid" -f "$root/etc/haproxy/haproxy.cfg" >>"$hd/haproxy.log" 2>&1
    fi
  fi
  local j
  for ((j = 0; j < 50; j++)); do
    [[ -f "$hd/sshd.pid" ]] && (exec 3<>"/dev/tcp/$addr/$SSH_PORT") 2>/dev/null && break
    sleep 0.1
  done
  printf '[%s]:%s %s\n' "$addr" "$SSH_PORT" "$(cut -d' ' -f1,2 "$hd/ssh_host_ed25519_key.pub")" >>"$W/known_hosts.new"
}

write_env() {
  local n=$1 router=$2 i addr hd
  {
    printf 'WORLD_ID=%s\nWORLD_DIR=%s\nWORLD_ROUTER=%s\n' "$ID" "$W" "$router"
    printf 'REGISTRY=127.%s.0.1:5000\nREGISTRY_USER=%s\nREGISTRY_PASSWORD=%s\n' "$ID" "$REGISTRY_USER" "$(cat "$W/registry/password")"
    printf 'REGISTRY_DOCKER_CONFIG=%s\n' "$W/docker-config"
    printf 'TEST_IMAGE=127.%s.0.1:5000/%s\n' "$ID" "$APP_IMAGE"
    printf 'SSH_KEY=%s\nKNOWN_HOSTS=%s\nCLUSTER_FILE=%s\nDEPLOY_USER=%s\n' \
      "$W/client_key" "$W/known_hosts" "$W/cluster.yml" "$DEPLOY_USER"
    [[ -n "${TRAEFIK_NET:-}" ]] && printf 'TRAEFIK_NETWORK=%s\n' "$TRAEFIK_NET"
    printf 'HOSTS="%s"\n' "$(for ((i = 1; i <= n; i++)); do printf 'h%s ' "$i"; done | sed 's/ $//')"
    for ((i = 1; i <= n; i++)); do
      addr="127.$ID.0.$((10 + i))" hd="$W/h$i"
      printf 'H%s_ADDR=%s\nH%s_SSH_PORT=%s\nH%s_HTTP_PORT=%s\n' "$i" "$addr" "$i" "$SSH_PORT" "$i" "$HTTP_PORT"
      printf 'H%s_ROOT=%s\nH%s_CONFIG=%s\nH%s_STATE=%s\nH%s_SOCKET=%s\nH%s_PREFIX=%s\n' \
        "$i" "$hd/root" "$i" "$hd/root/etc/rollout/config" "$i" "$hd/root/var/lib/rollout" \
        "$i" "$hd/root/run/haproxy/delivery.sock" "$i" "w${ID}h${i}-"
    done
  } >"$W/world.env.new"
  chmod 600 "$W/world.env.new"
  mv -f "$W/world.env.new" "$W/world.env"
  {
    printf '# test world %s: %s hosts, sshd with a forced rollout command\n' "$ID" "$n"
    printf 'http_port: %s\nhosts:\n' "$HTTP_PORT"
    for ((i = 1; i <= n; i++)); do
      addr="127.$ID.0.$((10 + i))" hd="$W/h$i"
      printf '  - host: %s\n    port: %s\n    user: %s\n    name: h%s\n    http_port: %s\n    host_keys:\n      - %s\n' \
        "$addr" "$SSH_PORT" "$DEPLOY_USER" "$i" "$HTTP_PORT" "$(cut -d' ' -f1,2 "$hd/ssh_host_ed25519_key.pub")"
    done
  } >"$W/cluster.yml"
}

up() {
  local n=$1 router=$2 i
  W="$REPO/.tmp/world-$ID"
  link_world_dir
  locked ensure_user
  images
  start_registry
  push_apps
  client_key
  TRAEFIK_NET=""
  if [[ "$router" == traefik ]]; then
    TRAEFIK_NET="w$ID-traefik"
    docker network inspect "$TRAEFIK_NET" >/dev/null 2>&1 || docker network create "$TRAEFIK_NET" >/dev/null
  fi
  # hosts beyond NHOSTS from an earlier, larger world are stopped
  for hd in "$W"/h*; do
    [[ -d "$hd" ]] || continue
    i=${hd##*/h}
    if [[ "$i" =~ ^[0-9]+$ ]] && ((i > n)); then stop_pid "$hd/sshd.pid"; stop_pid "$hd/haproxy.pid"; fi
  done
  : >"$W/known_hosts.new"
  for ((i = 1; i <= n; i++)); do start_host "$i" "$router"; done
  mv -f "$W/known_hosts.new" "$W/known_hosts"
  write_env "$n" "$router"
  say "world $ID up: $n host(s), router $router; env in $W/world.env"
}

# The world's files live in a root-owned folder outside the checkout, and
# .tmp/world-ID links to it. sshd's StrictModes refuses key files below any
# group- or world-writable folder (a clone under /tmp), and the deploy user
# must reach them even when the checkout is below a private home folder.
real_world_dir() {
  printf '/var/lib/delivery-test/%s/world-%s' "$(printf '%s' "$REPO" | sha256sum | cut -c1-12)" "$ID"
}

link_world_dir() {
  local real
  real=$(real_world_dir)
  mkdir -p "$real" "$REPO/.tmp"
  chmod 755 /var/lib/delivery-test "$(dirname "$real")" "$real"
  if [[ -d "$W" && ! -L "$W" ]]; then rm -rf "$W"; fi
  ln -sfn "$real" "$W"
}

down() {
  W="$REPO/.tmp/world-$ID"
  local hd f
  if [[ -d "$W" ]]; then
    for hd in "$W"/h*; do
      [[ -d "$hd" ]] || continue
      stop_pid "$hd/sshd.pid"
      stop_pid "$hd/haproxy.pid"
    done
    stop_pid "$W/registry/pid"
  fi
  # containers and networks of this world's hosts (project prefix w<ID>h<N>-)
  local ids=()
  mapfile -t ids < <(docker ps -a --filter "label=com.docker.compose.project" --format '{{.ID}} {{.Label "com.docker.compose.project"}}' |
    awk -v p="^w${ID}h[0-9]+-" '$2 ~ p {print $1}')
  ((${#ids[@]} == 0)) || docker rm -f "${ids[@]}" >/dev/null 2>&1 || true
  for f in $(docker network ls --format '{{.Name}}' | grep -E "^w${ID}h[0-9]+-|^w${ID}-traefik$" || true); do
    docker network rm "$f" >/dev/null 2>&1 || true
  done
  local refs=()
  mapfile -t refs < <(docker images --format '{{.Repository}}:{{.Tag}} {{.Repository}}@{{.Digest}}' |
    tr ' ' '\n' | grep -E "^127\.${ID}\.0\.1:5000/" | grep -v -e ':<none>$' -e '@<none>$' | sort -u || true)
  ((${#refs[@]} == 0)) || docker rmi -f "${refs[@]}" >/dev/null 2>&1 || true
  # the hosts' detached rollout workers still finishing (a drain, the end of
  # a rollback window) write into the state folders being removed
  pkill -f -- "/world-$ID/h[0-9]+/root/usr/local/bin/rollout" 2>/dev/null || true
  rm -rf "$(real_world_dir)" "$W" 2>/dev/null || { sleep 0.5; rm -rf "$(real_world_dir)" "$W"; }
  rmdir "$(dirname "$(real_world_dir)")" 2>/dev/null || true
  say "world $ID down"
}

main() {
  (($#)) || usage
  local cmd=$1
  shift
  case "$cmd" in
    base) images; return ;;
    up | down) ;;
    *) usage ;;
  esac
  [[ "$(id -u)" == 0 ]] || die "must run as root (it starts sshd and creates $DEPLOY_USER)"
  ID=${1:-}
  if ! [[ "$ID" =~ ^[0-9]{1,3}$ ]] || ((ID < 1 || ID > 254)); then usage; fi
  shift
  if [[ "$cmd" == down ]]; then down; return; fi
  local n=${1:-}
  # hosts are 127.ID.0.11 … 127.ID.0.(10+n): at most 200 (the fan-out bench uses 100)
  if ! [[ "$n" =~ ^[0-9]{1,3}$ ]] || ((n < 1 || n > 200)); then usage; fi
  shift
  local router=haproxy
  while (($#)); do
    case "$1" in
      --router) router=${2:-}; shift 2 || usage ;;
      *) usage ;;
    esac
  done
  [[ "$router" == haproxy || "$router" == traefik ]] || usage
  up "$n" "$router"
}

main "$@"
