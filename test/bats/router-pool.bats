#!/usr/bin/env bats
# HAProxy's pool of backends and the fixed ports (world 120, one host): a new
# app takes the first free slot and the lowest free ports, a full port range
# or a full pool refuses it with exit 6 naming the setting, and a removed
# app's slot and ports go to the next new app.

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

# deploy_app NAME: g/NAME release r1 (v1) on the route /NAME/
deploy_app() {
  make_bundle "$BATS_TEST_TMPDIR/$1.tgz" --app "g/$1" --release r1 --tag v1 --path "/$1/" --docker-config "$DC"
  run --separate-stderr rollout_on 1 deploy "g/$1" <"$BATS_TEST_TMPDIR/$1.tgz"
  app_idle 1 "g/$1"
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
