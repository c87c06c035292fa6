#!/usr/bin/env bats
# The host installer under --root: idempotent, keeps other daemon.json
# keys, --dry-run changes nothing. No world needed.

bats_require_minimum_version 1.5.0
load helpers

setup() {
  R="$BATS_TEST_TMPDIR/root"
  mkdir -p "$R/etc/docker"
  printf '{"data-root": "/srv/docker", "log-opts": {"labels": "x"}, "features": {"buildkit": true}}\n' >"$R/etc/docker/daemon.json"
  ssh-keygen -q -t ed25519 -N '' -C installer-test -f "$BATS_TEST_TMPDIR/key"
  INSTALL=(bash "$REPO/src/host/install.sh" --root "$R" --user delivery-deploy --key "$BATS_TEST_TMPDIR/key.pub")
}

tree() { (cd "$R" && find . -printf '%p %m %s\n' | sort && find . -type f -exec sha256sum {} + | sort -k2); }

@test "install twice under --root: the same files; other daemon.json keys kept" {
  run --separate-stderr "${INSTALL[@]}"
  [ "$status" -eq 0 ]
  first=$(tree)
  run --separate-stderr "${INSTALL[@]}"
  [ "$status" -eq 0 ]
  [[ "$stderr" == *"nothing to change"* ]]
  [ "$(tree)" = "$first" ]
  jq -e '."data-root" == "/srv/docker" and .features.buildkit == true and ."log-driver" == "json-file"
    and ."log-opts"."max-size" == "10m" and ."log-opts"."max-file" == "3" and ."log-opts".labels == "x"' "$R/etc/docker/daemon.json"
  # the forced-command key, the script, the config and a valid HAProxy config with the teapot
  grep -q "^restrict,command=\"$R/usr/local/bin/rollout\" ssh-ed25519 " "$R/home/delivery-deploy/.ssh/authorized_keys"
  cmp "$R/usr/local/bin/rollout" "$REPO/src/host/rollout"
  [ "$(stat -c %a "$R/usr/local/bin/rollout")" = 755 ]
  grep -qx 'ROUTER=haproxy' "$R/etc/rollout/config"
  grep -qx "ROLLOUT_ROOT=$R/var/lib/rollout" "$R/etc/rollout/config"
  haproxy -c -q -f "$R/etc/haproxy/haproxy.cfg"
  grep -q 'http-request return status 418' "$R/etc/haproxy/haproxy.cfg"
}

@test "--dry-run prints what would change and changes nothing" {
  before=$(tree)
  run --separate-stderr "${INSTALL[@]}" --dry-run
  [ "$status" -eq 0 ]
  [[ "$stderr" == *"would create $R/usr/local/bin/rollout"* ]]
  [ "$(tree)" = "$before" ]
}

@test "a second key is added, the first kept; --set lines override defaults" {
  "${INSTALL[@]}" 2>/dev/null
  ssh-keygen -q -t ed25519 -N '' -C second -f "$BATS_TEST_TMPDIR/key2"
  run --separate-stderr "${INSTALL[@]}" --key "$BATS_TEST_TMPDIR/key2.pub" --set KEEP_RELEASES=9
  [ "$status" -eq 0 ]
  [ "$(grep -c '^restrict,command=' "$R/home/delivery-deploy/.ssh/authorized_keys")" = 2 ]
  [ "$(grep -c '^KEEP_RELEASES=' "$R/etc/rollout/config")" = 1 ]
  grep -qx 'KEEP_RELEASES=9' "$R/etc/rollout/config"
  # the config rollout reads is one it accepts
  ROLLOUT_CONFIG="$R/etc/rollout/config" run --separate-stderr "$R/usr/local/bin/rollout" list g
  [ "$status" -eq 0 ]
}

@test "the traefik router: the compose stack with Traefik v3 and the teapot" {
  run --separate-stderr "${INSTALL[@]}" --router traefik
  [ "$status" -eq 0 ]
  d="$R/opt/delivery/traefik"
  grep -q 'image: traefik:v3' "$d/docker-compose.yml"
  grep -q 'exposedByDefault=false' "$d/docker-compose.yml"
  grep -q 'priority: "1"' "$d/docker-compose.yml"
  grep -qx 'ROUTER=traefik' "$R/etc/rollout/config"
  (cd "$d" && HTTP_PORT=80 docker compose -f docker-compose.yml config -q)
}

@test "bad options are refused with exit 2" {
  run "${INSTALL[@]}" --router nginx
  [ "$status" -eq 2 ]
  run "${INSTALL[@]}" --key "not a key"
  [ "$status" -eq 2 ]
  run "${INSTALL[@]}" --set 'X=$(id)
Y=1'
  [ "$status" -eq 2 ]
}
