#!/usr/bin/env bash
# The real-host world (see README.md here): N bare Debian hosts, each a
# privileged container booting systemd with its own dockerd, sshd and
# HAProxy, and a registry container, on a Docker network of the world's own.
# This machine reaches them only through ports published on 127.91.0.0/24.
#
#   hosts.sh up NAME SLOT NHOSTS     (SLOT 0..11: addresses 127.91.0.(SLOT*20 + i))
#   hosts.sh down NAME               (idempotent: containers, network, volumes, files)
#
# A host starts bare: sshd with the world's admin key for root, Docker with
# the Compose plugin, nothing of delivery. The registry (Debian's
# docker-registry, htpasswd) is `dh-registry:5000` on the world's network and
# 127.91.0.(SLOT*20 + 19):5000 from here.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
NET_PREFIX=127.91.0
REGISTRY_USER=delivery

say() { printf 'hosts: %s\n' "$*" >&2; }
die() { printf 'hosts: %s\n' "$*" >&2; exit 2; }

usage() {
  printf 'usage: hosts.sh up NAME SLOT NHOSTS | hosts.sh down NAME\n' >&2
  exit 2
}

world_dir() { printf '%s/.tmp/hosts-%s' "$REPO" "$1"; }

# Traffic from the world's network may only stay on it: no masquerading,
# and forwarding to any other address is dropped.
net_up() {
  local net=$1 subnet
  if ! docker network inspect "$net" >/dev/null 2>&1; then
    docker network create -o com.docker.network.bridge.enable_ip_masquerade=false \
      --label delivery.hosts=1 "$net" >/dev/null
  fi
  subnet=$(docker network inspect -f '{{(index .IPAM.Config 0).Subnet}}' "$net")
  printf '%s\n' "$subnet" >"$W/subnet"
  if command -v iptables >/dev/null && iptables -L DOCKER-USER -n >/dev/null 2>&1; then
    iptables -C DOCKER-USER -s "$subnet" ! -d "$subnet" -j DROP 2>/dev/null \
      || iptables -I DOCKER-USER -s "$subnet" ! -d "$subnet" -j DROP
  fi
}

registry_up() {
  local name=$1 slot=$2 image
  local addr="$NET_PREFIX.$((slot * 20 + 19))"
  image=$(bash "$HERE/image.sh" registry)
  mkdir -p "$W/registry"
  [[ -s "$W/registry/password" ]] || (umask 077; openssl rand -hex 16 >"$W/registry/password")
  (umask 077; htpasswd -iB -n "$REGISTRY_USER" <"$W/registry/password" >"$W/registry/htpasswd" 2>/dev/null)
  chmod 644 "$W/registry/htpasswd"
  cat >"$W/registry/config.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: /var/lib/registry
  delete:
    enabled: true
http:
  addr: 0.0.0.0:5000
  secret: $(openssl rand -hex 8)
auth:
  htpasswd:
    realm: dh-$name
    path: /etc/registry/htpasswd
EOF
  if ! docker inspect "dh-$name-registry" >/dev/null 2>&1; then
    docker run -d --name "dh-$name-registry" --label delivery.hosts=1 --network "dh-$name-net" --network-alias dh-registry \
      -v "$W/registry/config.yml:/etc/registry/config.yml:ro" -v "$W/registry/htpasswd:/etc/registry/htpasswd:ro" \
      --tmpfs /var/lib/registry -p "$addr:5000:5000" "$image" >/dev/null
  fi
  local i code
  for ((i = 0; i < 100; i++)); do
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://$addr:5000/v2/" || true)
    [[ "$code" == 401 ]] && break
    sleep 0.1
  done
  [[ "$code" == 401 ]] || die "registry on $addr:5000 did not come up: $(docker logs "dh-$name-registry" 2>&1 | tail -3)"
  mkdir -p "$W/docker-config"
  chmod 700 "$W/docker-config"
  (umask 077; printf '{"auths":{"%s:5000":{"auth":"%s"}}}\n' "$addr" \
    "$(printf '%s:%s' "$REGISTRY_USER" "$(cat "$W/registry/password")" | base64 -w0)" >"$W/docker-config/config.json")
}

host_up() {
  local name=$1 i=$3 image=$4 c="dh-$1-h$3"
  local addr="$NET_PREFIX.$(($2 * 20 + $3))"
  if ! docker inspect "$c" >/dev/null 2>&1; then
    docker run -d --name "$c" --hostname "h$i" --label delivery.hosts=1 --network "dh-$name-net" \
      --privileged --cgroupns=host -v /sys/fs/cgroup:/sys/fs/cgroup:rw --tmpfs /run --tmpfs /run/lock \
      -v "$c-docker:/var/lib/docker" -p "$addr:2222:22" -p "$addr:8080:80" "$image" >/dev/null
  fi
}

wait_booted() {
  local c=$1 i s=""
  for ((i = 0; i < 120; i++)); do
    s=$(docker exec "$c" systemctl is-system-running 2>/dev/null || true)
    [[ "$s" == running ]] && return 0
    [[ "$s" == degraded ]] && die "$c booted degraded: $(docker exec "$c" systemctl --failed --no-legend 2>&1 | tr '\n' ' ')"
    sleep 0.5
  done
  die "$c did not boot within 60 s (state: ${s:-none})"
}

up() {
  local name=$1 slot=$2 n=$3 image i c addr
  W=$(world_dir "$name")
  mkdir -p "$W"
  chmod 700 "$W"
  image=$(bash "$HERE/image.sh" host)
  [[ -f "$W/admin_key" ]] || ssh-keygen -q -t ed25519 -N '' -C "dh-$name-admin" -f "$W/admin_key"
  [[ -f "$W/deploy_key" ]] || ssh-keygen -q -t ed25519 -N '' -C "dh-$name-deploy" -f "$W/deploy_key"
  net_up "dh-$name-net"
  registry_up "$name" "$slot"
  for ((i = 1; i <= n; i++)); do host_up "$name" "$slot" "$i" "$image"; done
  : >"$W/admin_known_hosts"
  for ((i = 1; i <= n; i++)); do
    c="dh-$name-h$i" addr="$NET_PREFIX.$((slot * 20 + i))"
    wait_booted "$c"
    # What a cloud image does on first boot: the admin's key for root.
    docker exec -i "$c" sh -c 'umask 077; mkdir -p /root/.ssh; cat >/root/.ssh/authorized_keys' <"$W/admin_key.pub"
    # The admin learns the host key out of band (the provider's console).
    printf '[%s]:2222 %s\n' "$addr" "$(docker exec "$c" cut -d' ' -f1,2 /etc/ssh/ssh_host_ed25519_key.pub)" >>"$W/admin_known_hosts"
  done
  {
    printf 'NAME=%s\nSLOT=%s\nDIR=%s\n' "$name" "$slot" "$W"
    printf 'REGISTRY_LOCAL=%s:5000\nREGISTRY=dh-registry:5000\nREGISTRY_USER=%s\nREGISTRY_PASSWORD=%s\n' \
      "$NET_PREFIX.$((slot * 20 + 19))" "$REGISTRY_USER" "$(cat "$W/registry/password")"
    printf 'DOCKER_CONFIG_DIR=%s\nADMIN_KEY=%s\nDEPLOY_KEY=%s\nADMIN_KNOWN_HOSTS=%s\nHOSTS=%s\n' \
      "$W/docker-config" "$W/admin_key" "$W/deploy_key" "$W/admin_known_hosts" "$n"
    for ((i = 1; i <= n; i++)); do
      printf 'H%s_CONTAINER=dh-%s-h%s\nH%s_ADDR=%s\n' "$i" "$name" "$i" "$i" "$NET_PREFIX.$((slot * 20 + i))"
    done
  } >"$W/world.env"
  chmod 600 "$W/world.env"
  say "world $name up: $n host(s) on $NET_PREFIX.$((slot * 20 + 1))-$((slot * 20 + n)) (ssh 2222, http 8080); env in $W/world.env"
}

down() {
  local name=$1 ids subnet
  W=$(world_dir "$name")
  mapfile -t ids < <(docker ps -aq --filter "name=^dh-$name-")
  ((${#ids[@]} == 0)) || docker rm -f -v "${ids[@]}" >/dev/null 2>&1 || true
  if [[ -s "$W/subnet" ]] && command -v iptables >/dev/null; then
    subnet=$(cat "$W/subnet")
    while iptables -D DOCKER-USER -s "$subnet" ! -d "$subnet" -j DROP 2>/dev/null; do :; done
  fi
  docker network rm "dh-$name-net" >/dev/null 2>&1 || true
  mapfile -t ids < <(docker volume ls -q --filter "name=^dh-$name-")
  ((${#ids[@]} == 0)) || docker volume rm -f "${ids[@]}" >/dev/null 2>&1 || true
  # pushed tags of this world's registry on this machine
  mapfile -t ids < <(docker images --format '{{.Repository}}:{{.Tag}}' | grep -E "^$NET_PREFIX\.[0-9]+:5000/dh-$name/" || true)
  ((${#ids[@]} == 0)) || docker rmi -f "${ids[@]}" >/dev/null 2>&1 || true
  rm -rf "$W"
  say "world $name down"
}

main() {
  [[ "$(id -u)" == 0 ]] || die "must run as root (privileged containers, iptables)"
  case "${1:-}" in
    up)
      (($# == 4)) || usage
      [[ "$2" =~ ^[a-z0-9]{1,8}$ ]] || die "NAME: 1-8 lower-case letters or digits"
      if ! [[ "$3" =~ ^[0-9]{1,2}$ ]] || (($3 > 11)); then die "SLOT: 0..11"; fi
      if ! [[ "$4" =~ ^[0-9]{1,2}$ ]] || (($4 < 1 || $4 > 18)); then die "NHOSTS: 1..18"; fi
      up "$2" "$3" "$4" ;;
    down)
      (($# == 2)) || usage
      [[ "$2" =~ ^[a-z0-9]{1,8}$ ]] || die "NAME: 1-8 lower-case letters or digits"
      down "$2" ;;
    *) usage ;;
  esac
}

main "$@"
