#!/usr/bin/env bats
# Several apps on one host (world 120): HAProxy's pool of backends and the
# fixed ports (a new app takes the first free slot and the lowest free ports,
# a full port range or a full pool refuses it with exit 6 naming the setting,
# a removed app's slot and ports go to the next new app), and images several
# apps pin (one app's remove or pruning leaves another app's pin in place).

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
  world_up 120 1
  export DC="$BATS_FILE_TMPDIR/docker-config.json"
  registry_auth_config "$DC"
  cp "$H1_CONFIG" "$BATS_FILE_TMPDIR/config.orig"
}

teardown_file() {
  cp "$BATS_FILE_TMPDIR/config.orig" "$H1_CONFIG"
  world_down 120
}

# set_cfg KEY VALUE: the host's rollout config
set_cfg() {
  sed -i "/^$1=/d" "$H1_CONFIG"
  echo "$1=$2" >>"$H1_CONFIG"
}

# deploy_app NAME [RELEASE TAG [make_bundle options]]: g/NAME (default r1, v1) on the route /NAME/
deploy_app() {
  local name=$1 rel=${2:-r1} tag=${3:-v1}
  shift $(($# < 3 ? $# : 3))
  make_bundle "$BATS_TEST_TMPDIR/$name-$rel.tgz" --app "g/$name" --release "$rel" --tag "$tag" --path "/$name/" --docker-config "$DC" "$@"
  run --separate-stderr rollout_on 1 deploy "g/$name" <"$BATS_TEST_TMPDIR/$name-$rel.tgz"
  app_idle 1 "g/$name"
}

backend_of() { awk -v a="g/$1" '$1 == a {print $2}' "$H1_STATE/.router/backends"; }
ports_of() { awk -v a="g/$1" '$1 == a {print $2 "=" $3}' "$H1_STATE/.router/ports" | sort | tr '\n' ' ' | sed 's/ $//'; }

@test "new apps take the first free slot of the pool and the lowest free ports" {
  set_cfg PORT_RANGE 20000-20003
  set_cfg HAPROXY_POOL_SIZE 2
  deploy_app a1
  [ "$status" -eq 0 ]
  deploy_app a2
  [ "$status" -eq 0 ]
  [ "$(backend_of a1)" = pool01 ]
  [ "$(backend_of a2)" = pool02 ]
  [ "$(ports_of a1)" = "blue=20000 green=20001" ]
  [ "$(ports_of a2)" = "blue=20002 green=20003" ]
  [ "$(get 1 /a1/)" = v1 ]
  [ "$(get 1 /a2/)" = v1 ]
}

@test "a full port range refuses a new app with exit 6; the others still serve" {
  deploy_app a3
  [ "$status" -eq 6 ]
  [[ "$stderr" == *"rollout: no free port left in PORT_RANGE 20000-20003"* ]]
  [ -z "$(backend_of a3)" ]
  [ "$(get 1 /a1/)" = v1 ]
  [ "$(get 1 /a2/)" = v1 ]
}

@test "a full pool refuses a new app with exit 6 naming HAPROXY_POOL_SIZE" {
  set_cfg PORT_RANGE 20000-20009
  deploy_app a3
  [ "$status" -eq 6 ]
  [[ "$stderr" == *"rollout: every backend of the HAProxy pool is taken (HAPROXY_POOL_SIZE=2)"* ]]
  [ -z "$(backend_of a3)" ]
  [ "$(get_code 1 /a3/)" = 418 ]
}

@test "a removed app's slot and ports go to the next new app" {
  run --separate-stderr rollout_on 1 remove g/a1
  [ "$status" -eq 0 ]
  [ -z "$(backend_of a1)" ]
  deploy_app a4
  [ "$status" -eq 0 ]
  [ "$(backend_of a4)" = pool01 ]
  [ "$(ports_of a4)" = "blue=20000 green=20001" ]
  [ "$(get 1 /a4/)" = v1 ]
  [ "$(get 1 /a2/)" = v1 ]
  [ "$(get_code 1 /a1/)" = 418 ]
}

# pin_of NAME RELEASE: the image ref that release of g/NAME pinned at its deploy
pin_of() { cut -d= -f2- "$H1_STATE/g/$1/releases/$2/images.lock"; }

@test "removing an app leaves an image another app pins (the tag and the digest both name it)" {
  # a1 (removed above) pinned the same v1 digest as a2
  pin=$(pin_of a2 r1)
  [[ "$pin" == *@sha256:* ]]
  docker image inspect "$pin" >/dev/null
  run --separate-stderr rollout_on 1 remove g/a4
  [ "$status" -eq 0 ]
  docker image inspect "$pin" >/dev/null
}

@test "pruning an app's old release leaves an image another app pins" {
  pin=$(pin_of a2 r1)
  deploy_app a5 r1 v1 --keep 1
  [ "$status" -eq 0 ]
  [ "$(pin_of a5 r1)" = "$pin" ]
  deploy_app a5 r2 v2 --keep 1
  [ "$status" -eq 0 ]
  deploy_app a5 r3 v3 --keep 1
  [ "$status" -eq 0 ]
  # r1 is pruned (neither current nor previous, over KEEP)
  [ ! -d "$H1_STATE/g/a5/releases/r1" ]
  docker image inspect "$pin" >/dev/null
  [ "$(get 1 /a2/)" = v1 ]
}
