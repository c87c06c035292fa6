#!/usr/bin/env bats
# Zero downtime through the haproxy router: keep-alive load with wrk during
# 5 deploys and 5 rollbacks, and while a second app and a preview come and
# go. Every response must be 200 and from one of the two versions. The
# counts are printed (world 14, one host).

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
  world_up 14 1
  export DC="$BATS_FILE_TMPDIR/docker-config.json"
  registry_auth_config "$DC"
  make_bundle "$BATS_FILE_TMPDIR/r0.tgz" --release r0 --tag v1 --docker-config "$DC"
  rollout_on 1 deploy g/app <"$BATS_FILE_TMPDIR/r0.tgz" >/dev/null 2>&1
  export URL="http://$H1_ADDR:$H1_HTTP_PORT/app/"
  export LOAD_SECONDS=${LOAD_SECONDS:-3}
}

teardown_file() { world_down 14; }

WRK=(wrk -t2 -c20 --timeout 10s -s "$REPO/test/bats/lib/count.lua")

# under_switch NAME CMD...: run a deploy/rollback; from the moment the new
# color is healthy (its "healthy" event) wrk loads /app/ for LOAD_SECONDS, so
# the router switch, the drain and the stop of the old color run under load.
under_switch() {
  local name=$1
  shift
  "$@" <&0 >"$BATS_TEST_TMPDIR/$name.out" 2>&1 &
  local cpid=$!
  for _ in $(seq 300); do
    grep -q '"phase":"healthy"' "$BATS_TEST_TMPDIR/$name.out" && break
    kill -0 "$cpid" 2>/dev/null || break
    sleep 0.1
  done
  # more rounds while the switch is still running (a slow machine), at most 5
  local round=0
  while :; do
    round=$((round + 1))
    "${WRK[@]}" -d"${LOAD_SECONDS}s" "$URL" >"$BATS_TEST_TMPDIR/$name.wrk" 2>&1
    grep '^RESULT' "$BATS_TEST_TMPDIR/$name.wrk" | sed "s/^RESULT/$name#$round:/" >>"$BATS_FILE_TMPDIR/counts"
    if ! proc_alive "$cpid" || ((round >= 5)); then break; fi
  done
  wait "$cpid" || { cat "$BATS_TEST_TMPDIR/$name.out"; return 1; }
  grep -q '"phase":"switched"' "$BATS_TEST_TMPDIR/$name.out"
}

total() { awk -v k="$1" '{for (i=2;i<=NF;i++) {split($i,a,"="); if (a[1]==k) s+=a[2]}} END {print s+0}' "$BATS_FILE_TMPDIR/counts"; }

@test "5 deploys and 5 rollbacks under keep-alive load: every response is 200 from v1 or v2" {
  [ "$(get 1 /app/)" = v1 ]
  for i in 1 2 3 4 5; do
    tag=v$(( (i % 2) + 1 ))
    make_bundle "$BATS_TEST_TMPDIR/d$i.tgz" --release "d$i" --tag "$tag" --docker-config "$DC"
    under_switch "deploy-d$i" rollout_on 1 deploy g/app --release "d$i" <"$BATS_TEST_TMPDIR/d$i.tgz"
    [ "$(get 1 /app/)" = "$tag" ]
  done
  for i in 1 2 3 4 5; do
    under_switch "rollback-$i" rollout_on 1 rollback g/app
  done
  cat "$BATS_FILE_TMPDIR/counts" >&3
  echo "# total: requests=$(total requests) ok=$(total ok) bad=$(total bad) non2xx=$(total non2xx) errors=$(( $(total connect) + $(total read) + $(total write) + $(total timeout) ))" >&3
  [ "$(total requests)" -gt 0 ]
  [ "$(total bad)" -eq 0 ]
  [ "$(total non2xx)" -eq 0 ]
  [ "$(( $(total connect) + $(total read) + $(total write) + $(total timeout) ))" -eq 0 ]
  [ "$(total v1)" -gt 0 ] && [ "$(total v2)" -gt 0 ]
}

add_and_remove_others() {
  make_bundle "$BATS_TEST_TMPDIR/o.tgz" --app g/other --release o1 --tag v3 --path /other/ --docker-config "$DC"
  make_bundle "$BATS_TEST_TMPDIR/p.tgz" --app g/app-pr-7 --release p1 --tag v3 --path /app-pr-7/ --docker-config "$DC"
  rollout_on 1 deploy g/other <"$BATS_TEST_TMPDIR/o.tgz"
  rollout_on 1 deploy g/app-pr-7 <"$BATS_TEST_TMPDIR/p.tgz"
  [ "$(get 1 /other/)" = v3 ]
  [ "$(get 1 /app-pr-7/)" = v3 ]
  rollout_on 1 remove g/app-pr-7
  rollout_on 1 remove g/other
  [ "$(get_code 1 /app-pr-7/)" = 418 ]
  [ "$(get_code 1 /other/)" = 418 ]
}

@test "a second app and a preview added and removed under load: no error on the first app" {
  : >"$BATS_FILE_TMPDIR/counts"
  add_and_remove_others >"$BATS_TEST_TMPDIR/others.out" 2>&1 &
  cpid=$!
  # wrk rounds until adding and removing is done (at most 10)
  for round in $(seq 10); do
    "${WRK[@]}" -d"${LOAD_SECONDS}s" "$URL" >"$BATS_TEST_TMPDIR/others.wrk" 2>&1
    grep '^RESULT' "$BATS_TEST_TMPDIR/others.wrk" | sed "s/^RESULT/others#$round:/" >>"$BATS_FILE_TMPDIR/counts"
    proc_alive "$cpid" || break
  done
  wait "$cpid" || { cat "$BATS_TEST_TMPDIR/others.out"; false; }
  cat "$BATS_FILE_TMPDIR/counts" >&3
  [ "$(total requests)" -gt 0 ]
  [ "$(total bad)" -eq 0 ]
  [ "$(total non2xx)" -eq 0 ]
  [ "$(( $(total connect) + $(total read) + $(total write) + $(total timeout) ))" -eq 0 ]
}
