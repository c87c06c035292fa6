#!/usr/bin/env bash
# Make sure the system tools that the tests and the demo need are present,
# and that a Docker engine is running. On Debian as root it installs what is
# missing; elsewhere it prints exactly what is missing and exits 1.
#
#   scripts/ensure-system.sh            install/check packages, start dockerd
#   scripts/ensure-system.sh --check    only report what is missing
set -euo pipefail

check_only=0
[[ "${1:-}" == "--check" ]] && check_only=1

say() { printf 'ensure-system: %s\n' "$*" >&2; }

# command -> Debian package
declare -A NEED=(
  [dockerd]=docker.io
  [docker-registry]=docker-registry
  [sshd]=openssh-server
  [ssh]=openssh-client
  [ssh-keygen]=openssh-client
  [haproxy]=haproxy
  [socat]=socat
  [apache2]=apache2
  [htpasswd]=apache2-utils
  [wrk]=wrk
  [bats]=bats
  [shellcheck]=shellcheck
  [busybox]=busybox-static
  [flock]=util-linux
  [setsid]=util-linux
  [curl]=curl
  [openssl]=openssl
  [jq]=jq
  [ip]=iproute2
  [groovy]=groovy
  [debootstrap]=debootstrap   # the real-host world's Debian image (test/hosts/image.sh)
)
# Compose v2 and buildx come from Debian trixie (bookworm's compose is v1).
TRIXIE_NEED=(docker-compose docker-buildx)

missing_pkgs() {
  local cmd
  for cmd in "${!NEED[@]}"; do
    if ! command -v "$cmd" >/dev/null 2>&1 && ! [[ -x "/usr/sbin/$cmd" ]]; then
      printf '%s\n' "${NEED[$cmd]}"
    fi
  done | sort -u
}

compose_v2() { docker compose version 2>/dev/null | grep -qE 'v?2\.'; }
buildx_ok() { docker buildx version >/dev/null 2>&1; }

is_debian_root() { [[ -r /etc/debian_version && "$(id -u)" == 0 ]]; }

mapfile -t missing < <(missing_pkgs)
need_trixie=0
if command -v docker >/dev/null 2>&1; then
  compose_v2 || need_trixie=1
  buildx_ok || need_trixie=1
else
  need_trixie=1
fi

if (( ${#missing[@]} || need_trixie )); then
  if (( check_only )) || ! is_debian_root; then
    say "missing: ${missing[*]:-} $( ((need_trixie)) && echo "${TRIXIE_NEED[*]} (from Debian trixie)")"
    say "on Debian as root run: apt-get install -y ${missing[*]:-}; and docker-compose docker-buildx from trixie (see README)"
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  if (( ${#missing[@]} )); then
    say "installing: ${missing[*]}"
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  if (( need_trixie )); then
    if ! grep -rqs trixie /etc/apt/sources.list.d/; then
      say "adding Debian trixie source pinned at priority 100 (for Compose v2 and buildx only)"
      cat >/etc/apt/sources.list.d/trixie.sources <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
      cat >/etc/apt/preferences.d/trixie-pin <<'PIN'
Package: *
Pin: release n=trixie
Pin-Priority: 100
PIN
    fi
    say "installing docker-compose and docker-buildx from trixie"
    apt-get update -qq
    apt-get install -y -qq -t trixie "${TRIXIE_NEED[@]}" >/dev/null
  fi
fi

# The service daemons installed above must not run on their default ports:
# the tests start their own instances.
for svc in haproxy apache2 ssh docker-registry; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
    systemctl stop "$svc" 2>/dev/null || true
  fi
done

# Docker's default address pools hold about 30 networks; the tests and the
# benchmarks run many compose projects on one engine. Before dockerd starts,
# give it /24 networks from the same private range it uses anyway, keeping
# every other key of daemon.json.
widen_address_pools() {
  local f=/etc/docker/daemon.json
  grep -qs default-address-pools "$f" && return 0
  mkdir -p /etc/docker
  node -e '
    const fs = require("fs"); const f = process.argv[1];
    let c = {}; try { c = JSON.parse(fs.readFileSync(f, "utf8")); } catch {}
    c["default-address-pools"] = [{ base: "172.16.0.0/12", size: 24 }];
    fs.writeFileSync(f, JSON.stringify(c, null, 2) + "\n");' "$f"
}

# A Docker engine.
if ! docker info >/dev/null 2>&1; then
  is_debian_root && ! ((check_only)) && widen_address_pools
  if (( check_only )); then say "the Docker engine is not running"; exit 1; fi
  if ! is_debian_root; then say "start the Docker engine (dockerd) and run again"; exit 1; fi
  say "starting dockerd"
  mkdir -p /var/log
  nohup dockerd >/var/log/dockerd.log 2>&1 &
  for _ in $(seq 1 120); do
    docker info >/dev/null 2>&1 && break
    sleep 0.5
  done
  docker info >/dev/null 2>&1 || { say "dockerd did not come up; see /var/log/dockerd.log"; exit 1; }
fi
compose_v2 || { say "docker compose v2 is missing"; exit 1; }
say "ok: $(docker --version), $(docker compose version --short 2>/dev/null || true)"
