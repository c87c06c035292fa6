#!/usr/bin/env bats
# deploy and rollback through the haproxy router, against the real Docker
# engine and registry (world 11, one host).

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
  world_up 11 1
  export DC="$BATS_FILE_TMPDIR/docker-config.json"
  registry_auth_config "$DC"
}

teardown_file() { world_down 11; }

# deploy_release ID TAG [make_bundle options]
deploy_release() {
  local id=$1 tag=$2
  shift 2
  make_bundle "$BATS_TEST_TMPDIR/$id.tgz" --release "$id" --tag "$tag" --docker-config "$DC" "$@"
  run --separate-stderr rollout_on 1 deploy g/app --release "$id" <"$BATS_TEST_TMPDIR/$id.tgz"
}

json_field() { printf '%s' "$1" | jq -r "$2"; }

@test "deploy v1: the app serves v1 through HAProxy, events end with a result" {
  deploy_release r1 v1
  [ "$status" -eq 0 ]
  [ "$(get 1 /app/)" = v1 ]
  result=$(last_json)
  [ "$(json_field "$result" .event)" = result ]
  [ "$(json_field "$result" .ok)" = true ]
  [ "$(json_field "$result" .color)" = blue ]
  printf '%s\n' "$output" | jq -e -s 'map(select(.event=="phase") | .phase) | index("healthy") and index("switched")'
  [[ "$stderr" == *"==> starting blue"* ]]
  # a request no route claims is the teapot's
  [ "$(get_code 1 /other/)" = 418 ]
  # keep a copy of real output for the unit test of the event schema (test/unit/events.test.ts)
  mkdir -p "$REPO/.tmp"
  printf '%s\n' "$output" >"$REPO/.tmp/rollout-events-deploy.jsonl"
}

@test "every started container has log rotation, restart unless-stopped and the delivery labels" {
  run app_ids 1 g/app
  [ -n "$output" ]
  for id in $output; do
    [ "$(docker inspect --format '{{.HostConfig.RestartPolicy.Name}}' "$id")" = unless-stopped ]
    [ "$(docker inspect --format '{{.HostConfig.LogConfig.Type}} {{index .HostConfig.LogConfig.Config "max-size"}} {{index .HostConfig.LogConfig.Config "max-file"}}' "$id")" = "json-file 10m 3" ]
    [ "$(docker inspect --format '{{index .Config.Labels "delivery.release"}}' "$id")" = r1 ]
  done
}

@test "deploy v2 switches to green; status and releases agree with what runs" {
  deploy_release r2 v2 --secret db_password=hunter2
  [ "$status" -eq 0 ]
  [ "$(get 1 /app/)" = v2 ]
  run --separate-stderr rollout_on 1 status g/app
  [ "$status" -eq 0 ]
  st=$(last_json)
  [ "$(json_field "$st" .current)" = r2 ]
  [ "$(json_field "$st" .previous)" = r1 ]
  [ "$(json_field "$st" .color)" = green ]
  [ "$(json_field "$st" '.containers | length')" = 1 ]
  [ "$(json_field "$st" '.containers[0].health')" = healthy ]
  [ "$(json_field "$st" '.last.result')" = ok ]
  printf '%s\n' "$output" >"$REPO/.tmp/rollout-events-status.jsonl"
  # only the green color runs, and it is release r2
  run app_containers 1 g/app
  [ "$output" = "w11h1-g_app_green green r2" ]
  run --separate-stderr rollout_on 1 releases g/app
  # shown when the check fails: the answer and what rollout said
  rel=$(last_json | jq -c '[.releases[] | [.id, .current, .created]]')
  echo "releases: $rel"
  echo "$stderr"
  [ "$(jq -c 'map(.[0:2])' <<<"$rel")" = '[["r2",true],["r1",false]]' ]
  printf '%s\n' "$output" >"$REPO/.tmp/rollout-events-releases.jsonl"
  # preflight: the same answers in one, without the containers
  run --separate-stderr rollout_on 1 preflight g/app --releases
  [ "$status" -eq 0 ]
  pf=$(last_json)
  [ "$(json_field "$pf" '[.protocol, .router, .current, .previous, .color, .lock] | @csv')" = '1,"haproxy","r2","r1","green",' ]
  [ "$(json_field "$pf" '[.releases[] | [.id, .current]] | tostring')" = '[["r2",true],["r1",false]]' ]
  [ "$(json_field "$pf" 'has("containers")')" = false ]
  printf '%s\n' "$output" >"$REPO/.tmp/rollout-events-preflight.jsonl"
}

@test "secrets are 0600 files mounted with compose secrets, never in the environment" {
  cid=$(app_ids 1 g/app)
  [ "$(docker exec "$cid" cat /run/secrets/db_password)" = hunter2 ]
  [[ "$(docker inspect --format '{{json .Config.Env}}' "$cid")" != *hunter2* ]]
  f=$(find "$H1_STATE/g/app/releases/r2/secrets" -name db_password)
  [ "$(stat -c '%a %U' "$f")" = "600 $DEPLOY_USER" ]
  refute grep -rq hunter2 "$H1_STATE/g/app/runs"
  # the env file reaches the service
  docker exec "$cid" env | grep -qx GREETING=hello
}

@test "rollback goes to the previous release, rollback --to to a named one" {
  run --separate-stderr rollout_on 1 rollback g/app
  [ "$status" -eq 0 ]
  [ "$(get 1 /app/)" = v1 ]
  [ "$(last_json | jq -r .release)" = r1 ]
  printf '%s\n' "$output" >"$REPO/.tmp/rollout-events-rollback.jsonl"
  deploy_release r3 v3
  [ "$status" -eq 0 ]
  [ "$(get 1 /app/)" = v3 ]
  run --separate-stderr rollout_on 1 rollback g/app --to r2
  [ "$status" -eq 0 ]
  [ "$(get 1 /app/)" = v2 ]
  run --separate-stderr rollout_on 1 status g/app
  [ "$(last_json | jq -r '.current + " " + .previous')" = "r2 r3" ]
  run --separate-stderr rollout_on 1 rollback g/app --to nope
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"not kept"* ]]
}

@test "rollback works without the registry while the images are on the host" {
  kill -STOP "$(cat "$WORLD_DIR/registry/pid")"
  run --separate-stderr rollout_on 1 rollback g/app --to r3
  kill -CONT "$(cat "$WORLD_DIR/registry/pid")"
  [ "$status" -eq 0 ]
  [ "$(get 1 /app/)" = v3 ]
}

@test "a failing health check leaves the old version serving (exit 5, output of the check)" {
  deploy_release bad1 broken --timeout 4
  printf '%s\n' "$output" >"$REPO/.tmp/rollout-events-failed.jsonl"
  [ "$status" -eq 5 ]
  [[ "$stderr" == *"health check failed"* ]]
  [[ "$stderr" == *"health:"* ]]
  [ "$(get 1 /app/)" = v3 ]
  run app_containers 1 g/app
  [ "$(printf '%s\n' "$output" | wc -l)" = 1 ]
  [[ "$output" == *" r3" ]]
  [ ! -d "$H1_STATE/g/app/releases/bad1" ]
}

@test "without registry credentials the pull fails with exit 4 and nothing changes" {
  make_bundle "$BATS_TEST_TMPDIR/nc.tgz" --release nocreds --tag v1
  run --separate-stderr rollout_on 1 deploy g/app <"$BATS_TEST_TMPDIR/nc.tgz"
  [ "$status" -eq 4 ]
  [[ "$stderr" == *"pull failed"* ]]
  [ "$(get 1 /app/)" = v3 ]
  [ ! -d "$H1_STATE/g/app/releases/nocreds" ]
}

@test "a wrong registry password fails the pull with exit 4" {
  registry_auth_config "$BATS_TEST_TMPDIR/bad.json" wrong-password
  make_bundle "$BATS_TEST_TMPDIR/wp.tgz" --release wrongpw --tag v2 --docker-config "$BATS_TEST_TMPDIR/bad.json"
  run --separate-stderr rollout_on 1 deploy g/app <"$BATS_TEST_TMPDIR/wp.tgz"
  [ "$status" -eq 4 ]
  [ "$(get 1 /app/)" = v3 ]
  run --separate-stderr rollout_on 1 status g/app
  [ "$(last_json | jq -r .current)" = r3 ]
}

@test "two deploys at once: one gets exit 3 naming the holder" {
  # A stays before its switch for 6 s (> LOCK_WAIT=2): once A has switched,
  # B would wait for A's finishing worker and go on, which is not this case
  make_bundle "$BATS_TEST_TMPDIR/a.tgz" --release lockA --tag v1 --docker-config "$DC" --no-healthcheck --stable 6
  make_bundle "$BATS_TEST_TMPDIR/b.tgz" --release lockB --tag v2 --docker-config "$DC"
  rollout_on 1 deploy g/app <"$BATS_TEST_TMPDIR/a.tgz" >"$BATS_TEST_TMPDIR/a.out" 2>&1 &
  pa=$!
  for _ in $(seq 50); do [ -s "$H1_STATE/g/app/lock.info" ] && grep -q lockA "$H1_STATE/g/app/lock.info" && break; sleep 0.1; done
  run --separate-stderr rollout_on 1 deploy g/app <"$BATS_TEST_TMPDIR/b.tgz"
  wait "$pa"
  [ "$status" -eq 3 ]
  [[ "$stderr" == *"locked by release lockA (pid "* ]]
  [[ "$stderr" == *"since 20"* ]]
  [ "$(get 1 /app/)" = v1 ]
}

@test "deploy --dry-run checks the bundle and compose config, then changes nothing" {
  make_bundle "$BATS_TEST_TMPDIR/dry.tgz" --release dry1 --tag v2 --docker-config "$DC"
  run --separate-stderr rollout_on 1 deploy g/app --dry-run <"$BATS_TEST_TMPDIR/dry.tgz"
  [ "$status" -eq 0 ]
  [ "$(last_json | jq -r .dry_run)" = true ]
  [ ! -d "$H1_STATE/g/app/releases/dry1" ]
  [ "$(get 1 /app/)" = v1 ]
}

@test "pruning keeps KEEP_RELEASES releases with their images and removes images no kept release uses" {
  # push a one-off image, deploy it, then push it out of the kept window
  docker tag delivery-test/app:v3 "$REGISTRY/delivery-test/once:1"
  DOCKER_CONFIG="$REGISTRY_DOCKER_CONFIG" docker push -q "$REGISTRY/delivery-test/once:1" >/dev/null
  docker rmi "$REGISTRY/delivery-test/once:1" >/dev/null
  deploy_release once1 v3 --image "$REGISTRY/delivery-test/once:1"
  [ "$status" -eq 0 ]
  ref=$(cut -d= -f2- "$H1_STATE/g/app/releases/once1/images.lock")
  [[ "$ref" == *"delivery-test/once@sha256:"* ]]
  docker image inspect "$ref" >/dev/null
  # KEEP_RELEASES=3 in the world; the bundle's KEEP wins: keep 1 (+ current and previous)
  deploy_release p1 v1 --keep 1
  deploy_release p2 v3 --keep 1
  [ "$status" -eq 0 ]
  app_idle 1 g/app # pruning runs after the result
  run ls "$H1_STATE/g/app/releases"
  [ "$(printf '%s\n' "$output" | tr '\n' ' ')" = "p1 p2 " ]
  refute docker image inspect "$ref" >/dev/null 2>&1
  # every image a kept release references is still on the host
  for r in p1 p2; do
    while IFS= read -r line; do docker image inspect "${line#*=}" >/dev/null; done <"$H1_STATE/g/app/releases/$r/images.lock"
  done
}

@test "HAProxy down: the switch fails with exit 6, the new color is removed; restarted with the containers, the current color serves again" {
  [ "$(get 1 /app/)" = v3 ]
  kill "$(cat "$WORLD_DIR/h1/haproxy.pid")"
  for _ in $(seq 50); do proc_alive "$(cat "$WORLD_DIR/h1/haproxy.pid")" || break; sleep 0.1; done
  deploy_release nohap v1
  [ "$status" -eq 6 ]
  [[ "$stderr" == *"router switch failed"* ]]
  run app_containers 1 g/app
  [ "$(printf '%s\n' "$output" | awk '{print $3}')" = p2 ]
  [ ! -d "$H1_STATE/g/app/releases/nohap" ]
  docker restart -t 1 $(app_ids 1 g/app) >/dev/null
  haproxy -D -p "$WORLD_DIR/h1/haproxy.pid" -f "$H1_ROOT/etc/haproxy/haproxy.cfg"
  ok=0
  for _ in $(seq 30); do [ "$(curl -s -m 1 "http://$H1_ADDR:$H1_HTTP_PORT/app/")" = v3 ] && { ok=1; break; }; sleep 0.2; done
  [ "$ok" = 1 ]
}

@test "remove stops both colors, drops the route and the releases; twice is fine" {
  run --separate-stderr rollout_on 1 remove g/app
  [ "$status" -eq 0 ]
  [ "$(get_code 1 /app/)" = 418 ]
  [ -z "$(app_ids 1 g/app -a)" ]
  [ ! -d "$H1_STATE/g/app" ]
  run --separate-stderr rollout_on 1 remove g/app
  [ "$status" -eq 0 ]
}
