#!/usr/bin/env bash
# Images of the real-host world (see README.md here), built once and reused:
#
#   image.sh host       prints the tag of the host image (builds it if needed):
#                       a Debian bookworm root filesystem (debootstrap) booting
#                       systemd as PID 1 with sshd, Docker (docker.io + the
#                       Compose v2 plugin of this machine) and HAProxy, and
#                       nothing of ours.
#   image.sh registry   prints the tag of the registry image: Debian's
#                       docker-registry binary on the busybox base.
#
# Tags carry a hash of their inputs (this script, the package list, the
# mirror, the plugin), so a changed input builds a new image and an unchanged
# one is never rebuilt. Concurrent callers wait on one lock.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
SUITE=bookworm
PACKAGES=systemd,systemd-sysv,dbus,openssh-server,haproxy,socat,docker.io,iproute2,procps,jq,curl,sudo,ca-certificates
COMPOSE_PLUGIN=/usr/libexec/docker/cli-plugins/docker-compose
LOCK=/run/lock/dh-image.lock

say() { printf 'hosts-image: %s\n' "$*" >&2; }
die() { printf 'hosts-image: %s\n' "$*" >&2; exit 2; }

mirror() {
  local m
  m=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [[ -n "$m" ]] || m=$(awk '$1 == "deb" && $0 !~ /security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  [[ -n "$m" ]] || die "no Debian mirror found in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list"
  printf '%s' "$m"
}

base_tag() {
  local h
  h=$( (printf '%s %s %s v1\n' "$SUITE" "$PACKAGES" "$(mirror)") | sha256sum | cut -c1-12)
  printf 'dh-host-base:%s' "$h"
}

host_tag() {
  [[ -x "$COMPOSE_PLUGIN" ]] || die "$COMPOSE_PLUGIN is missing (apt-get install docker-compose)"
  local h
  h=$( (cat "${BASH_SOURCE[0]}"; base_tag; sha256sum "$COMPOSE_PLUGIN") | sha256sum | cut -c1-12)
  printf 'dh-host:%s' "$h"
}

# The Debian root filesystem, as debootstrap made it (the slow part).
build_base() {
  local tag=$1 dir
  docker image inspect "$tag" >/dev/null 2>&1 && return 0
  command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"
  dir=$(mktemp -d /var/tmp/dh-rootfs.XXXXXX)
  # shellcheck disable=SC2064 # expand $dir now: it is local
  trap "rm -rf '$dir' '$dir.log'" EXIT
  say "debootstrap $SUITE into $dir (a few minutes)"
  debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$dir" "$(mirror)" >"$dir.log" 2>&1 \
    || { tail -20 "$dir.log" >&2; die "debootstrap failed"; }
  rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
  say "importing $tag"
  tar -C "$dir" --numeric-owner -c . | docker import - "$tag" >/dev/null
  rm -rf "$dir" "$dir.log"
  trap - EXIT
}

# The host: the base plus what makes it boot as a container (quick).
build_host() {
  local tag=$1 base=$2 ctx
  docker image inspect "$tag" >/dev/null 2>&1 && return 0
  build_base "$base"
  ctx=$(mktemp -d)
  # shellcheck disable=SC2064 # expand $ctx now: it is local
  trap "rm -rf '$ctx'" EXIT
  # What a user who installed Docker by the book has: the Compose v2 plugin.
  cp "$COMPOSE_PLUGIN" "$ctx/docker-compose"
  # Each container makes its own host keys on first boot (none in the image).
  printf '[Service]\nExecStartPre=\nExecStartPre=/usr/bin/ssh-keygen -A\nExecStartPre=/usr/sbin/sshd -t\n' >"$ctx/hostkeys.conf"
  # The world's registry speaks plain HTTP on the world's network.
  printf '{\n  "insecure-registries": ["dh-registry:5000"]\n}\n' >"$ctx/daemon.json"
  cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM @BASE@
COPY docker-compose /usr/libexec/docker/cli-plugins/docker-compose
COPY hostkeys.conf /etc/systemd/system/ssh.service.d/dh-hostkeys.conf
COPY daemon.json /etc/docker/daemon.json
# No console to log in on, no clock to set, and no traffic to package
# mirrors: apt's timers and time sync are masked.
RUN for u in getty@tty1.service console-getty.service systemd-timesyncd.service \
      apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer; do \
      ln -sf /dev/null "/etc/systemd/system/$u"; done \
 && rm -f /etc/ssh/ssh_host_* && : >/etc/machine-id && printf 'dh-host\n' >/etc/hostname
STOPSIGNAL SIGRTMIN+3
CMD ["/sbin/init"]
DOCKERFILE
  say "building $tag"
  sed -i "s|@BASE@|$base|" "$ctx/Dockerfile"
  docker build -q -t "$tag" "$ctx" >/dev/null
  rm -rf "$ctx"
  trap - EXIT
}

registry_tag() {
  local h
  h=$( (cat "${BASH_SOURCE[0]}"; sha256sum /usr/bin/docker-registry; docker image inspect --format '{{.Id}}' delivery/base:busybox) | sha256sum | cut -c1-12)
  printf 'dh-registry:%s' "$h"
}

build_registry() {
  local tag=$1 ctx lib
  docker image inspect "$tag" >/dev/null 2>&1 && return 0
  command -v docker-registry >/dev/null || die "docker-registry is not installed (apt-get install docker-registry)"
  ctx=$(mktemp -d)
  mkdir -p "$ctx/root/usr/bin"
  cp /usr/bin/docker-registry "$ctx/root/usr/bin/"
  for lib in $(ldd /usr/bin/docker-registry | grep -oE '/[^ ]+'); do
    mkdir -p "$ctx/root$(dirname "$lib")"
    cp -L "$lib" "$ctx/root$lib"
  done
  printf 'FROM delivery/base:busybox\nCOPY root/ /\nCMD ["/usr/bin/docker-registry", "serve", "/etc/registry/config.yml"]\n' >"$ctx/Dockerfile"
  docker build -q -t "$tag" "$ctx" >/dev/null
  rm -rf "$ctx"
}

main() {
  mkdir -p "$(dirname "$LOCK")"
  exec 9>"$LOCK"
  flock -w 1200 9 || die "timed out waiting for $LOCK"
  local tag
  case "${1:-}" in
    host) tag=$(host_tag); build_host "$tag" "$(base_tag)" ;;
    registry)
      docker image inspect delivery/base:busybox >/dev/null 2>&1 || bash "$REPO/test/world/world.sh" base
      tag=$(registry_tag); build_registry "$tag" ;;
    *) printf 'usage: image.sh host|registry\n' >&2; exit 2 ;;
  esac
  printf '%s\n' "$tag"
}

main "$@"
