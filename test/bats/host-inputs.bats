#!/usr/bin/env bats
# The host side on real inputs (issue 9), world 51, one host with HAProxy,
# the password registry and the real sshd: a tag pulled with the bundle's
# login and pinned to the digest pulled, so a rollback is exact after the tag
# moved or was deleted; the seed's raw tar; routes owned by their app; release
# ids around rollout's working names; a gzip bomb; a killed receive; disk full
# and a read-only state folder.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
  world_up 51 1
  export DC="$BATS_FILE_TMPDIR/docker-config.json"
  registry_auth_config "$DC"
  export TAGGED="$REGISTRY/g/app:latest"
}

teardown_file() {
  local m
  for m in "$WORLD_DIR/full" "$WORLD_DIR/ro"; do if mountpoint -q "$m"; then umount "$m"; fi; done
  world_down 51
}

# push_latest VERSION: the test app's VERSION pushed as $TAGGED, then untagged
# on the (shared) dockerd, so the host has to pull it with the bundle's login
push_latest() {
  docker tag "delivery-test/app:$1" "$TAGGED"
  DOCKER_CONFIG="$REGISTRY_DOCKER_CONFIG" docker push -q "$TAGGED" >/dev/null
  docker rmi "$TAGGED" >/dev/null
  ! docker image inspect "$TAGGED" >/dev/null 2>&1
}

# reg CURL_ARGS... PATH: the world's registry API with its password
reg() {
  local path=${*: -1}
  curl -s -m 5 -u "$REGISTRY_USER:$REGISTRY_PASSWORD" \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    -H 'Accept: application/vnd.oci.image.manifest.v1+json' "${@:1:$#-1}" "http://$REGISTRY/v2/$path"
}
reg_digest() { reg -I "g/app/manifests/$1" | tr -d '\r' | awk -F': ' 'tolower($1) == "docker-content-digest" {print $2}'; }

# deploy_tag ID: g/app from the compose file's own tag (no IMAGES), with the login
deploy_tag() {
  make_bundle "$BATS_TEST_TMPDIR/$1.tgz" --release "$1" --image "$TAGGED" --no-images --docker-config "$DC"
  run --separate-stderr rollout_on 1 deploy g/app <"$BATS_TEST_TMPDIR/$1.tgz"
}

# the seed's exact command line: tar cf - docker-compose.yml | ssh host deploy group/app
seed_deploy() { tar "$1" - docker-compose.yml | ssh_on 1 deploy g/seed; }
not_a_tar() { printf 'hello' | ssh_on 1 deploy g/seed; }

running_image() { docker inspect --format '{{.Config.Image}}' "$(app_ids 1 "$1" | head -n1)"; }

@test "a :latest tag from the password registry, absent on the host, is pulled with the bundle's login and pinned" {
  push_latest v1
  d1=$(reg_digest latest)
  [[ "$d1" == sha256:* ]]
  # without the login, the pull fails with the registry's message, exit 4
  make_bundle "$BATS_TEST_TMPDIR/nl.tgz" --release nologin --image "$TAGGED" --no-images
  run --separate-stderr rollout_on 1 deploy g/app <"$BATS_TEST_TMPDIR/nl.tgz"
  [ "$status" -eq 4 ]
  [[ "$stderr" == *"pull failed for web ($TAGGED)"*"no basic auth credentials"* ]]
  [ ! -d "$H1_STATE/g/app/releases/nologin" ]
  deploy_tag t1
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  [ "$(get 1 /app/)" = v1 ]
  [ "$(cat "$H1_STATE/g/app/releases/t1/images.lock")" = "web=$REGISTRY/g/app@$d1" ]
  grep -qF "image: \"$REGISTRY/g/app@$d1\"" "$H1_STATE/g/app/releases/t1/override-blue.yml"
  [ "$(running_image g/app)" = "$REGISTRY/g/app@$d1" ]
  run --separate-stderr rollout_on 1 status g/app
  [ "$(last_json | jq -r .images.web)" = "$REGISTRY/g/app@$d1" ]
}

@test "compose's own pull (pull_policy: always) uses the bundle's login too" {
  printf 'services:\n  web:\n    image: %s\n    init: true\n    pull_policy: always\n' "$TAGGED" >"$BATS_TEST_TMPDIR/pp.yml"
  make_bundle "$BATS_TEST_TMPDIR/pp.tgz" --app g/pp --release pp1 --path /pp/ --no-images --compose "$BATS_TEST_TMPDIR/pp.yml" --docker-config "$DC"
  run --separate-stderr rollout_on 1 deploy g/pp <"$BATS_TEST_TMPDIR/pp.tgz"
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  [ "$(get 1 /pp/)" = v1 ]
  run --separate-stderr rollout_on 1 remove g/pp
  [ "$status" -eq 0 ]
}

@test ":latest moved to v2 and deployed; rollback serves v1 again, from its pin" {
  push_latest v2
  d1=$(cut -d@ -f2 "$H1_STATE/g/app/releases/t1/images.lock")
  d2=$(reg_digest latest)
  [ "$d1" != "$d2" ]
  deploy_tag t2
  [ "$status" -eq 0 ]
  [ "$(get 1 /app/)" = v2 ]
  [ "$(running_image g/app)" = "$REGISTRY/g/app@$d2" ]
  run --separate-stderr rollout_on 1 releases g/app
  [ "$(last_json | jq -r '[.releases[] | .id + "=" + .images.web] | join(" ")')" = "t2=$REGISTRY/g/app@$d2 t1=$REGISTRY/g/app@$d1" ]
  run --separate-stderr rollout_on 1 rollback g/app
  [ "$status" -eq 0 ]
  [ "$(get 1 /app/)" = v1 ]
  [ "$(last_json | jq -r .release)" = t1 ]
  [ "$(running_image g/app)" = "$REGISTRY/g/app@$d1" ]
}

@test "the same after the tag was deleted from the registry; a deploy of the deleted tag fails with exit 4" {
  d1=$(cut -d@ -f2 "$H1_STATE/g/app/releases/t1/images.lock")
  d2=$(cut -d@ -f2 "$H1_STATE/g/app/releases/t2/images.lock")
  for d in "$d1" "$d2"; do
    [ "$(reg -o /dev/null -w '%{http_code}' -X DELETE "g/app/manifests/$d")" = 202 ]
  done
  [ "$(reg -o /dev/null -w '%{http_code}' -I g/app/manifests/latest)" = 404 ]
  docker rmi "$TAGGED" >/dev/null 2>&1 || true
  run --separate-stderr rollout_on 1 rollback g/app --to t2
  [ "$status" -eq 0 ]
  [ "$(get 1 /app/)" = v2 ]
  run --separate-stderr rollout_on 1 rollback g/app --to t1
  [ "$status" -eq 0 ]
  [ "$(get 1 /app/)" = v1 ]
  [ "$(running_image g/app)" = "$REGISTRY/g/app@$d1" ]
  deploy_tag t3
  [ "$status" -eq 4 ]
  [[ "$stderr" == *"pull failed for web"*"manifest unknown"* ]]
  [ "$(get 1 /app/)" = v1 ]
  [ ! -d "$H1_STATE/g/app/releases/t3" ]
}

@test "the seed's raw form: tar cf - docker-compose.yml | ssh host deploy group/app, plain and gzipped" {
  mkdir -p "$BATS_TEST_TMPDIR/seed"
  cd "$BATS_TEST_TMPDIR/seed"
  printf 'version: "2.0"\nservices:\n  web:\n    image: delivery-test/app:v1\n    init: true\n    restart: unless-stopped\n    network_mode: bridge\n' >docker-compose.yml
  run --separate-stderr seed_deploy cf
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  r1=$(last_json | jq -r .release)
  [[ "$r1" =~ ^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{7}$ ]]
  [[ "$stderr" == *"compose files only: host defaults"* ]]
  run --separate-stderr ssh_on 1 status g/seed
  [ "$status" -eq 0 ]
  [ "$(last_json | jq -r '.current + " " + .containers[0].state')" = "$r1 running" ]
  # the image was built on this host: pinned by its id
  [[ "$(last_json | jq -r .images.web)" == sha256:* ]]
  sed -i 's/app:v1/app:v2/' docker-compose.yml
  run --separate-stderr seed_deploy czf
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  r2=$(last_json | jq -r .release)
  [ "$r2" != "$r1" ]
  [ "$(last_json | jq -r .previous)" = "$r1" ]
  [ "$(docker exec "$(app_ids 1 g/seed)" wget -qO- http://127.0.0.1:8080/)" = v2 ]
  run --separate-stderr ssh_on 1 remove g/seed
  [ "$status" -eq 0 ]
  # a tar that is neither: a clear refusal
  run --separate-stderr not_a_tar
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"neither a gzipped tar nor a plain tar"* ]]
}

@test "two apps asking for one route: the second is refused naming the owner, and leaves nothing" {
  [ "$(get 1 /app/)" = v1 ]
  make_bundle "$BATS_TEST_TMPDIR/h.tgz" --app g/hijack --release h1 --tag v3 --docker-config "$DC"
  run --separate-stderr rollout_on 1 deploy g/hijack <"$BATS_TEST_TMPDIR/h.tgz"
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"route path /app/ belongs to g/app"* ]]
  [ "$(get 1 /app/)" = v1 ]
  [ ! -e "$H1_STATE/g/hijack" ]
  run --separate-stderr rollout_on 1 list g
  [ "$(last_json | jq -r '[.apps[].app] | join(" ")')" = "g/app" ]
  # a preview cannot take a production app's route either
  make_bundle "$BATS_TEST_TMPDIR/p.tgz" --app g/app-pr-7 --release p1 --tag v3 --docker-config "$DC"
  run --separate-stderr rollout_on 1 deploy g/app-pr-7 <"$BATS_TEST_TMPDIR/p.tgz"
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"belongs to g/app"* ]]
}

@test "host routes are owned the same way; remove of an app removes only its own routes" {
  hostget() { curl -s -m 3 -H "Host: $1" "http://$H1_ADDR:$H1_HTTP_PORT/"; }
  make_bundle "$BATS_TEST_TMPDIR/a.tgz" --app g/hosted --release a1 --tag v3 --path "" --host hosted.example.org --docker-config "$DC"
  run --separate-stderr rollout_on 1 deploy g/hosted <"$BATS_TEST_TMPDIR/a.tgz"
  [ "$status" -eq 0 ]
  [ "$(hostget hosted.example.org)" = v3 ]
  make_bundle "$BATS_TEST_TMPDIR/b.tgz" --app g/other --release b1 --tag v2 --path "" --host HOSTED.example.org --docker-config "$DC"
  run --separate-stderr rollout_on 1 deploy g/other <"$BATS_TEST_TMPDIR/b.tgz"
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"route host hosted.example.org belongs to g/hosted"* ]]
  run --separate-stderr rollout_on 1 remove g/other
  [ "$status" -eq 0 ]
  [ "$(hostget hosted.example.org)" = v3 ]
  [ "$(get 1 /app/)" = v1 ]
  run --separate-stderr rollout_on 1 remove g/hosted
  [ "$status" -eq 0 ]
  [ "$(curl -s -o /dev/null -w '%{http_code}' -m 3 -H 'Host: hosted.example.org' "http://$H1_ADDR:$H1_HTTP_PORT/")" = 418 ]
  [ "$(get 1 /app/)" = v1 ]
  # the route is free again once its owner is removed
  run --separate-stderr rollout_on 1 deploy g/other <"$BATS_TEST_TMPDIR/b.tgz"
  [ "$status" -eq 0 ]
  [ "$(hostget hosted.example.org)" = v2 ]
  run --separate-stderr rollout_on 1 remove g/other
}

@test "release ids around rollout's working names" {
  for pair in rel.tmp=v1 rel=v2 current=v3 incoming=v1; do
    make_bundle "$BATS_TEST_TMPDIR/i.tgz" --app g/ids --release "${pair%=*}" --tag "${pair#*=}" --path /ids/ --keep 5 --docker-config "$DC"
    run --separate-stderr rollout_on 1 deploy g/ids <"$BATS_TEST_TMPDIR/i.tgz"
    [ "$status" -eq 0 ] || { echo "${pair%=*}: $stderr"; false; }
    got=$(get 1 /ids/)
    [ "$got" = "${pair#*=}" ] || { echo "${pair%=*}: /ids/ answers '$got': $stderr"; false; }
  done
  run --separate-stderr rollout_on 1 status g/ids
  [ "$(last_json | jq -r '.current + " " + .previous')" = "incoming current" ]
  [ "$(readlink "$H1_STATE/g/ids/current")" = releases/incoming ]
  grep -q "^web=$REGISTRY/delivery-test/app@sha256:" "$H1_STATE/g/ids/releases/rel/images.lock" ||
    { ls "$H1_STATE/g/ids/releases"; cat "$H1_STATE/g/ids/releases/rel/images.lock"; false; }
  run --separate-stderr rollout_on 1 rollback g/ids --to rel
  [ "$status" -eq 0 ]
  [ "$(get 1 /ids/)" = v2 ]
  run --separate-stderr rollout_on 1 rollback g/ids --to rel.tmp
  [ "$status" -eq 0 ]
  [ "$(get 1 /ids/)" = v1 ]
  # names starting with a dot are rollout's own
  for id in .incoming.x .tmp .current.tmp; do
    make_bundle "$BATS_TEST_TMPDIR/d.tgz" --app g/ids --release "$id" --tag v2 --path /ids/ --docker-config "$DC"
    run --separate-stderr rollout_on 1 deploy g/ids --release "$id" <"$BATS_TEST_TMPDIR/d.tgz"
    [ "$status" -eq 2 ]
    run --separate-stderr rollout_on 1 deploy g/ids <"$BATS_TEST_TMPDIR/d.tgz"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"starts with '.'"* ]]
  done
  [ "$(get 1 /ids/)" = v1 ]
  run --separate-stderr rollout_on 1 remove g/ids
}

@test "a gzip bomb inflating to 4 GiB is refused while it inflates (time printed)" {
  head -c 64M /dev/zero | gzip -9 >"$BATS_TEST_TMPDIR/m.gz"
  for _ in $(seq 64); do cat "$BATS_TEST_TMPDIR/m.gz"; done >"$BATS_TEST_TMPDIR/bomb.gz"
  printf '# bomb: %d bytes of gzip, 4 GiB inflated\n' "$(stat -c %s "$BATS_TEST_TMPDIR/bomb.gz")" >&3
  t0=$(date +%s%N)
  run --separate-stderr rollout_on 1 deploy g/app <"$BATS_TEST_TMPDIR/bomb.gz"
  t1=$(date +%s%N)
  printf '# bomb refused after %d ms\n' "$(((t1 - t0) / 1000000))" >&3
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"MAX_UNPACKED_BYTES"* ]]
  [ -z "$(find "$H1_STATE/g/app" -maxdepth 1 -name '.incoming.*')" ]
  run --separate-stderr rollout_on 1 status g/app
  [ "$(last_json | jq -c .lock)" = null ]
}

@test "a rollout killed mid-receive: the next run leaves no .incoming" {
  make_bundle "$BATS_TEST_TMPDIR/k.tgz" --release k1 --tag v2 --docker-config "$DC"
  mkfifo "$BATS_TEST_TMPDIR/fifo"
  rollout_on 1 deploy g/app <"$BATS_TEST_TMPDIR/fifo" >/dev/null 2>&1 &
  exec 5>"$BATS_TEST_TMPDIR/fifo"
  head -c 100 "$BATS_TEST_TMPDIR/k.tgz" >&5
  for _ in $(seq 50); do [ -n "$(find "$H1_STATE/g/app" -maxdepth 1 -name '.incoming.*')" ] && break; sleep 0.1; done
  pid=$(awk '{print $2}' "$H1_STATE/g/app/lock.info")
  kill -9 "$pid"
  exec 5>&-
  wait || true
  [ -n "$(find "$H1_STATE/g/app" -maxdepth 1 -name '.incoming.*')" ]
  run --separate-stderr rollout_on 1 deploy g/app <"$BATS_TEST_TMPDIR/k.tgz"
  [ "$status" -eq 0 ]
  [ "$(get 1 /app/)" = v2 ]
  [ -z "$(find "$H1_STATE/g/app" -maxdepth 1 -name '.incoming.*')" ]
}

# small_state DIR SIZE: a tmpfs of SIZE as another state folder, and a config for it
small_state() {
  local d=$1
  mkdir -p "$d"
  mountpoint -q "$d" || mount -t tmpfs -o "size=$2,mode=0755" tmpfs "$d"
  chown "$DEPLOY_USER:" "$d"
  sed "s#^ROLLOUT_ROOT=.*#ROLLOUT_ROOT=$d#" "$H1_CONFIG" >"$WORLD_DIR/$(basename "$d").config"
  grep -q "^ROLLOUT_ROOT=$d\$" "$WORLD_DIR/$(basename "$d").config"
  chmod 644 "$WORLD_DIR/$(basename "$d").config"
}

@test "disk full while receiving or unpacking: one line naming the place, exit 1, nothing left" {
  small_state "$WORLD_DIR/full" 256k
  cfg="$WORLD_DIR/full.config"
  mkdir -p "$BATS_TEST_TMPDIR/big"
  printf 'services:\n  web:\n    image: delivery-test/app:v1\n' >"$BATS_TEST_TMPDIR/big/docker-compose.yml"
  head -c 400k /dev/urandom >"$BATS_TEST_TMPDIR/big/noise"
  tar -C "$BATS_TEST_TMPDIR/big" -czf "$BATS_TEST_TMPDIR/big.tgz" docker-compose.yml noise
  run --separate-stderr rollout_with "$cfg" deploy g/full <"$BATS_TEST_TMPDIR/big.tgz"
  echo "$stderr"
  [ "$status" -eq 1 ]
  [ "$(printf '%s\n' "$stderr" | grep -c .)" -eq 1 ]
  # df names the mount by its real path (WORLD_DIR may be a link)
  [[ "$stderr" == "rollout: no space left on $(realpath "$WORLD_DIR/full") (state folder $WORLD_DIR/full) while receiving the bundle"* ]]
  # small when compressed, too big once unpacked
  rm "$BATS_TEST_TMPDIR/big/noise"
  head -c 400k /dev/zero >"$BATS_TEST_TMPDIR/big/zeros"
  tar -C "$BATS_TEST_TMPDIR/big" -czf "$BATS_TEST_TMPDIR/zeros.tgz" docker-compose.yml zeros
  run --separate-stderr rollout_with "$cfg" deploy g/full <"$BATS_TEST_TMPDIR/zeros.tgz"
  echo "$stderr"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"rollout: no space left on $(realpath "$WORLD_DIR/full")"*"while unpacking the bundle"* ]]
  # nothing of the deploy (rollout's host-wide cache of the Compose version may stay)
  [ -z "$(ls -A "$WORLD_DIR/full" | grep -vx .cache)" ]
  umount "$WORLD_DIR/full"
}

@test "a read-only state folder: one line, exit 1" {
  small_state "$WORLD_DIR/ro" 1m
  mount -o remount,ro "$WORLD_DIR/ro"
  make_bundle "$BATS_TEST_TMPDIR/r.tgz" --app g/ro --release r1 --tag v1 --docker-config "$DC"
  run --separate-stderr rollout_with "$WORLD_DIR/ro.config" deploy g/ro <"$BATS_TEST_TMPDIR/r.tgz"
  echo "$stderr"
  [ "$status" -eq 1 ]
  [ "$(printf '%s\n' "$stderr" | grep -c .)" -eq 1 ]
  [[ "$stderr" == "rollout: state folder $WORLD_DIR/ro is read-only"* ]]
  [ "$(last_json | jq -r .code)" = 1 ]
  umount "$WORLD_DIR/ro"
}
