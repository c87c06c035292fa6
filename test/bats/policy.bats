#!/usr/bin/env bats
# The host policy (/etc/rollout/config): by default a bundle asking for host
# privileges is refused at `checked` with exit 2 naming the service, the key
# and the config line that would allow it; with that line it is accepted.
# World 52, one host, real dockerd; "accepted" is a dry run (compose config),
# so no privileged container ever runs on this machine.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
  world_up 52 1
  export DC="$BATS_FILE_TMPDIR/docker-config.json"
  registry_auth_config "$DC"
  cp "$H1_CONFIG" "$WORLD_DIR/config.orig"
  export SEED_DATA=/srv/delivery-world-52
}

teardown_file() {
  rm -rf "$SEED_DATA"
  world_down 52
}

setup() { cp "$WORLD_DIR/config.orig" "$H1_CONFIG"; }

# bundle_with SNIPPET [TOP]: g/app whose web service adds SNIPPET (YAML at
# service level, 4 spaces), TOP at the top level
bundle_with() {
  {
    printf 'services:\n  web:\n    image: %s:v1\n    init: true\n' "$TEST_IMAGE"
    printf '%s\n' "$1"
    [[ -z "${2:-}" ]] || printf '%s\n' "$2"
  } >"$BATS_TEST_TMPDIR/c.yml"
  make_bundle "$BATS_TEST_TMPDIR/p.tgz" --release p1 --compose "$BATS_TEST_TMPDIR/c.yml" --docker-config "$DC"
}

# refused_then_allowed SNIPPET TOP WHAT LINE
refused_then_allowed() {
  bundle_with "$1" "$2"
  run --separate-stderr rollout_on 1 deploy g/app <"$BATS_TEST_TMPDIR/p.tgz"
  [ "$status" -eq 2 ] || { echo "not refused: $1 ($status) $stderr"; return 1; }
  [[ "$stderr" == *"host policy: $3"*"the line '$4' in $H1_CONFIG would allow it"* ]] || { echo "$stderr"; return 1; }
  [[ "$(printf '%s\n' "$output" | jq -rs 'map(select(.event == "phase") | .phase) | join(" ")')" == received ]]
  [ ! -e "$H1_STATE/g/app" ]
  [ -z "$(app_ids 1 g/app -a)" ]
  printf '%s\n' "$4" >>"$H1_CONFIG"
  run --separate-stderr rollout_on 1 deploy g/app --dry-run <"$BATS_TEST_TMPDIR/p.tgz"
  [ "$status" -eq 0 ] || { echo "not allowed by $4: $stderr"; return 1; }
  cp "$WORLD_DIR/config.orig" "$H1_CONFIG"
}

@test "privileged" {
  refused_then_allowed '    privileged: true' '' "service web: privileged: true" ALLOW_PRIVILEGED=1
}

@test "host pid, ipc, network and userns modes" {
  refused_then_allowed '    pid: host' '' "service web: pid: host" ALLOW_HOST_PID=1
  refused_then_allowed '    ipc: host' '' "service web: ipc: host" ALLOW_HOST_IPC=1
  refused_then_allowed '    network_mode: host' '' "service web: network_mode: host" ALLOW_HOST_NETWORK=1
  refused_then_allowed '    userns_mode: host' '' "service web: userns_mode: host" ALLOW_HOST_USERNS=1
}

@test "another container's namespaces or volumes (container:NAME); the bundle's own services' (service:NAME) are fine" {
  refused_then_allowed '    network_mode: "container:other"' '' "service web: network_mode: container:other (another container's network namespace)" ALLOW_OTHER_CONTAINERS=1
  refused_then_allowed '    pid: "container:other"' '' "service web: pid: container:other (another container's pid namespace)" ALLOW_OTHER_CONTAINERS=1
  refused_then_allowed '    ipc: "container:other"' '' "service web: ipc: container:other (another container's ipc namespace)" ALLOW_OTHER_CONTAINERS=1
  refused_then_allowed '    volumes_from: ["container:other:ro"]' '' "service web: volumes_from: container:other:ro (another container's volumes)" ALLOW_OTHER_CONTAINERS=1
  # the host modes keep their own lines: ALLOW_OTHER_CONTAINERS does not allow them
  printf 'ALLOW_OTHER_CONTAINERS=1\n' >>"$H1_CONFIG"
  bundle_with '    pid: host'
  run --separate-stderr rollout_on 1 deploy g/app --dry-run <"$BATS_TEST_TMPDIR/p.tgz"
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"pid: host is not allowed"* ]]
  cp "$WORLD_DIR/config.orig" "$H1_CONFIG"
  # a second service of the bundle that joins web's namespaces and volumes
  bundle_with "  side:
    image: $TEST_IMAGE:v1
    network_mode: service:web
    pid: service:web
    ipc: service:web
    volumes_from: [web]"
  run --separate-stderr rollout_on 1 deploy g/app --dry-run <"$BATS_TEST_TMPDIR/p.tgz"
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
}

@test "cap_add beyond Docker's default set; the default set itself is fine" {
  refused_then_allowed '    cap_add: [SYS_ADMIN]' '' "service web: cap_add: SYS_ADMIN" ALLOW_CAP_ADD=SYS_ADMIN
  refused_then_allowed '    cap_add: [ALL]' '' "service web: cap_add: ALL" ALLOW_CAP_ADD=ALL
  bundle_with '    cap_add: [NET_BIND_SERVICE, CAP_CHOWN]'
  run --separate-stderr rollout_on 1 deploy g/app --dry-run <"$BATS_TEST_TMPDIR/p.tgz"
  [ "$status" -eq 0 ]
}

@test "devices" {
  refused_then_allowed '    devices: ["/dev/fuse:/dev/fuse"]' '' "service web: devices: /dev/fuse" ALLOW_DEVICES=/dev/fuse
}

@test "security_opt that turns confinement off; no-new-privileges is fine" {
  refused_then_allowed '    security_opt: ["seccomp=unconfined"]' '' "service web: security_opt: seccomp=unconfined" ALLOW_SECURITY_OPT=seccomp=unconfined
  refused_then_allowed '    security_opt: ["apparmor:unconfined"]' '' "service web: security_opt: apparmor:unconfined" ALLOW_SECURITY_OPT=apparmor=unconfined
  bundle_with '    security_opt: ["no-new-privileges:true"]'
  run --separate-stderr rollout_on 1 deploy g/app --dry-run <"$BATS_TEST_TMPDIR/p.tgz"
  [ "$status" -eq 0 ]
}

@test "bind mounts outside the data prefixes, the Docker socket and / only one by one" {
  refused_then_allowed '    volumes: ["/etc:/host-etc:ro"]' '' "service web: bind mount of /etc (outside BIND_PREFIXES: /opt /srv)" ALLOW_BIND=/etc
  refused_then_allowed '    volumes: ["/var/run/docker.sock:/var/run/docker.sock"]' '' "service web: bind mount of /var/run/docker.sock" ALLOW_BIND=/var/run/docker.sock
  refused_then_allowed '    volumes: ["/:/host"]' '' "service web: bind mount of / (the host's root" ALLOW_BIND=/
  # a prefix of / does not allow the root or the socket
  printf 'BIND_PREFIXES=/opt /\n' >>"$H1_CONFIG"
  bundle_with '    volumes: ["/:/host"]'
  run --separate-stderr rollout_on 1 deploy g/app <"$BATS_TEST_TMPDIR/p.tgz"
  [ "$status" -eq 2 ]
  cp "$WORLD_DIR/config.orig" "$H1_CONFIG"
  # out of the release by a relative path
  refused_then_allowed "    volumes: [\"$(printf '../%.0s' $(seq 30))etc:/x\"]" '' "service web: bind mount of /etc" ALLOW_BIND=/etc
}

@test "host files through secrets, configs or a named volume's driver_opts" {
  refused_then_allowed '    secrets: [s]' $'secrets:\n  s:\n    file: /etc/shadow' "secret s (file): bind mount of /etc/shadow" ALLOW_BIND=/etc/shadow
  refused_then_allowed '    volumes: ["data:/data"]' $'volumes:\n  data:\n    driver_opts: {type: none, o: bind, device: /etc}' "volume data (driver_opts.device): bind mount of /etc" ALLOW_BIND=/etc
}

@test "named volumes, tmpfs and the seed's kind of mount under a data prefix are deployed as they are" {
  bundle_with "    volumes:
      - data:/data
      - type: tmpfs
        target: /scratch
      - $SEED_DATA/credentials/database:/secrets/database
    network_mode: bridge" $'volumes:\n  data: {}'
  run --separate-stderr rollout_on 1 deploy g/app <"$BATS_TEST_TMPDIR/p.tgz"
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  [ "$(get 1 /app/)" = v1 ]
  [ -d "$SEED_DATA/credentials/database" ]
  run --separate-stderr rollout_on 1 remove g/app
  [ "$status" -eq 0 ]
}
