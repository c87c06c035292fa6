#!/usr/bin/env bats
# The rollback window (issue 13), HAProxy router, world 102, one host: after
# a switch the old color keeps running out of the router; a rollback inside
# the window only switches the router; after the window the old color is
# stopped with its containers kept, and a rollback starts those; a deploy
# inside the window retires the color before the last switch first;
# `rollback --confirm` answers as preflight, lock held, and switches only on
# the client's word. Every switch runs under keep-alive load (wrk), and no
# request may fail.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
  world_up 102 1
  export DC="$BATS_FILE_TMPDIR/docker-config.json"
  registry_auth_config "$DC"
  export URL="http://$H1_ADDR:$H1_HTTP_PORT/app/"
  export LOAD_SECONDS=${LOAD_SECONDS:-1}
  # the world turns the window off for the other tests; this file wants it
  set_window 300
  make_bundle "$BATS_FILE_TMPDIR/r1.tgz" --release r1 --tag v1 --docker-config "$DC"
  rollout_on 1 deploy g/app <"$BATS_FILE_TMPDIR/r1.tgz" >/dev/null 2>&1
}

teardown_file() { world_down 102; }

# set_window SECONDS: the host's ROLLBACK_WINDOW
set_window() {
  sed -i '/^ROLLBACK_WINDOW=/d' "$H1_CONFIG"
  echo "ROLLBACK_WINDOW=$1" >>"$H1_CONFIG"
}

WRK=(wrk -t2 -c8 --timeout 5s -s "$REPO/test/bats/lib/count.lua")

# under_load NAME CMD...: CMD while wrk loads /app/ in rounds of LOAD_SECONDS
# (from before CMD starts until after it ends, at most 20 rounds); the
# summed counts go to $BATS_FILE_TMPDIR/NAME.counts
under_load() {
  local name=$1 round=0 rc=0
  shift
  : >"$BATS_TEST_TMPDIR/$name.rounds"
  "$@" >"$BATS_TEST_TMPDIR/$name.out" 2>&1 <&0 &
  local cpid=$!
  while :; do
    round=$((round + 1))
    "${WRK[@]}" -d"${LOAD_SECONDS}s" "$URL" >"$BATS_TEST_TMPDIR/$name.wrk" 2>&1
    grep '^RESULT' "$BATS_TEST_TMPDIR/$name.wrk" >>"$BATS_TEST_TMPDIR/$name.rounds"
    if ! proc_alive "$cpid" || ((round >= 20)); then break; fi
  done
  wait "$cpid" || rc=$?
  awk '{for (i=2;i<=NF;i++) {split($i,a,"="); s[a[1]]+=a[2]}} END {printf "RESULT"; for (k in s) printf " %s=%d", k, s[k]; print ""}' \
    "$BATS_TEST_TMPDIR/$name.rounds" >"$BATS_FILE_TMPDIR/$name.counts"
  echo "# $name ($round rounds): $(cut -d' ' -f2- "$BATS_FILE_TMPDIR/$name.counts")" >&3
  ((rc == 0)) || { cat "$BATS_TEST_TMPDIR/$name.out"; return 1; }
}

count() { grep -o " $2=[0-9]*" "$BATS_FILE_TMPDIR/$1.counts" | cut -d= -f2; }

# no_failures NAME: requests were made and every one was a 200 from v1 or v2
no_failures() {
  [ "$(count "$1" requests)" -gt 0 ]
  [ "$(count "$1" bad)" -eq 0 ]
  [ "$(count "$1" non2xx)" -eq 0 ]
  [ "$(($(count "$1" connect) + $(count "$1" read) + $(count "$1" write) + $(count "$1" timeout)))" -eq 0 ]
}

# ids COLOR [-a]: container ids of that color of g/app
ids() { docker ps ${2:-} --filter "label=com.docker.compose.project=${H1_PREFIX}g_app_$1" --format '{{.ID}}' | sort; }
states() { docker ps -a --filter "label=com.docker.compose.project=${H1_PREFIX}g_app_$1" --format '{{.State}}' | sort -u; }
port_of() { awk -v c="$1" '$1=="g/app" && $2==c {print $3}' "$H1_STATE/.router/ports"; }
# direct COLOR: what the color answers on its own published port (not through the router)
direct() { curl -s -m 2 "http://$H1_ADDR:$(port_of "$1")/" || true; }
wait_idle() { flock -w 30 "$H1_STATE/g/app/lock" true; }

@test "after a deploy the old color keeps running, out of the router" {
  make_bundle "$BATS_FILE_TMPDIR/r2.tgz" --release r2 --tag v2 --docker-config "$DC"
  under_load deploy-r2 rollout_on 1 deploy g/app <"$BATS_FILE_TMPDIR/r2.tgz"
  no_failures deploy-r2
  [ "$(count deploy-r2 v1)" -gt 0 ] && [ "$(count deploy-r2 v2)" -gt 0 ]
  wait_idle
  [ "$(get 1 /app/)" = v2 ]
  [ "$(states blue)" = running ]
  [ "$(direct blue)" = v1 ]
  read -r c r _ s <"$H1_STATE/g/app/standby"
  [ "$c $r $s" = "blue r1 running" ]
  # out of the router: HAProxy keeps blue in maintenance
  echo "show servers state" | socat - "UNIX-CONNECT:$H1_SOCKET" >"$BATS_TEST_TMPDIR/state"
  be=$(awk '$1=="g/app" {print $2}' "$H1_STATE/.router/backends")
  # columns: be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state
  # (srv_admin_state bit 0x01: forced maintenance)
  [ "$(awk -v b="$be" '$2==b && $4=="blue" {print $7 % 2}' "$BATS_TEST_TMPDIR/state")" = 1 ]
}

@test "a rollback inside the window is a router switch only: the same containers, no request fails" {
  before=$(ids blue)
  [ -n "$before" ]
  under_load rollback-1 rollout_on 1 rollback g/app
  no_failures rollback-1
  [ "$(count rollback-1 v1)" -gt 0 ] && [ "$(count rollback-1 v2)" -gt 0 ]
  grep -q 'still runs (rollback window): router switch only' "$BATS_TEST_TMPDIR/rollback-1.out"
  refute grep -q '"phase":"starting"' "$BATS_TEST_TMPDIR/rollback-1.out"
  grep -q '"event":"result".*"ok":true.*"release":"r1"' "$BATS_TEST_TMPDIR/rollback-1.out"
  [ "$(get 1 /app/)" = v1 ]
  [ "$(ids blue)" = "$before" ]
  # and the color it left (green, r2) is now the one kept running
  wait_idle
  [ "$(direct green)" = v2 ]
  read -r c r _ s <"$H1_STATE/g/app/standby"
  [ "$c $r $s" = "green r2 running" ]
}

@test "a deploy inside the window retires the color before the last switch first" {
  green_before=$(ids green)
  blue_before=$(ids blue)
  make_bundle "$BATS_FILE_TMPDIR/r3.tgz" --release r3 --tag v2 --docker-config "$DC"
  under_load deploy-r3 rollout_on 1 deploy g/app <"$BATS_FILE_TMPDIR/r3.tgz"
  no_failures deploy-r3
  [ "$(count deploy-r3 v1)" -gt 0 ] && [ "$(count deploy-r3 v2)" -gt 0 ]
  grep -q 'retiring green (r2)' "$BATS_TEST_TMPDIR/deploy-r3.out"
  wait_idle
  [ "$(get 1 /app/)" = v2 ]
  # green holds r3 in new containers; blue (r1) is the one kept now
  [ -n "$(ids green)" ] && [ "$(ids green)" != "$green_before" ]
  [ "$(docker inspect --format '{{index .Config.Labels "delivery.release"}}' $(ids green))" = r3 ]
  [ "$(ids blue)" = "$blue_before" ]
  read -r c r _ s <"$H1_STATE/g/app/standby"
  [ "$c $r $s" = "blue r1 running" ]
}

@test "after the window the old color is stopped, its containers kept; a rollback starts them with no failed request" {
  set_window 1
  make_bundle "$BATS_FILE_TMPDIR/r4.tgz" --release r4 --tag v1 --docker-config "$DC"
  rollout_on 1 deploy g/app <"$BATS_FILE_TMPDIR/r4.tgz" >"$BATS_TEST_TMPDIR/deploy-r4.out" 2>&1
  kept=$(ids green -a)
  [ -n "$kept" ]
  # the window's timer stops green (r3) a second after the drain
  for _ in $(seq 100); do [ "$(states green)" = exited ] && break; sleep 0.1; done
  [ "$(states green)" = exited ]
  [ "$(ids green -a)" = "$kept" ]
  read -r c r _ s <"$H1_STATE/g/app/standby"
  [ "$c $r $s" = "green r3 stopped" ]
  [ "$(get 1 /app/)" = v1 ]
  lock_before=$(stat -c %Y.%i "$H1_STATE/g/app/releases/r3/images.lock")
  files_before=$(stat -c %Y.%i "$H1_STATE/g/app/releases/r3/app/.env" "$H1_STATE/g/app/releases/r3/override-green.yml")
  under_load rollback-2 rollout_on 1 rollback g/app
  no_failures rollback-2
  # the kept containers hold their images: nothing pulled or looked up (images.lock not rewritten)
  [ "$(grep -c '"phase":"pulling"' "$BATS_TEST_TMPDIR/rollback-2.out")" = 0 ]
  [ "$(stat -c %Y.%i "$H1_STATE/g/app/releases/r3/images.lock")" = "$lock_before" ]
  # and they were created with their env file and override: neither is written again
  [ "$(stat -c %Y.%i "$H1_STATE/g/app/releases/r3/app/.env" "$H1_STATE/g/app/releases/r3/override-green.yml")" = "$files_before" ]
  [ "$(count rollback-2 v1)" -gt 0 ] && [ "$(count rollback-2 v2)" -gt 0 ]
  grep -q '"phase":"starting"' "$BATS_TEST_TMPDIR/rollback-2.out"
  [ "$(get 1 /app/)" = v2 ]
  # started, not created: the same containers, with one docker start (not compose up)
  [ "$(ids green)" = "$kept" ]
  grep -q 'started the kept containers of green' "$BATS_TEST_TMPDIR/rollback-2.out"
}

@test "ROLLBACK_WINDOW=0: the old color is stopped right after the switch, its containers kept" {
  set_window 0
  make_bundle "$BATS_FILE_TMPDIR/r5.tgz" --release r5 --tag v1 --docker-config "$DC"
  under_load deploy-r5 rollout_on 1 deploy g/app <"$BATS_FILE_TMPDIR/r5.tgz"
  no_failures deploy-r5
  wait_idle
  [ "$(states green)" = exited ]
  [ "$(states blue)" = running ]
  [ "$(get 1 /app/)" = v1 ]
}

@test "kept containers that no longer start (their network removed): compose creates the color anew, no request fails" {
  # after the last test: r5 on blue serves, green (r3) is stopped with its containers kept
  read -r c r _ s <"$H1_STATE/g/app/standby"
  [ "$c $s" = "green stopped" ]
  kept=$(ids green -a)
  [ -n "$kept" ]
  net=$(docker inspect --format '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}' $kept | head -n1)
  docker network rm "$net" >/dev/null
  if docker start $kept >/dev/null 2>&1; then echo "the kept containers still start" >&2; return 1; fi
  under_load rollback-3 rollout_on 1 rollback g/app
  no_failures rollback-3
  grep -q "the kept containers of green did not start: creating them anew" "$BATS_TEST_TMPDIR/rollback-3.out"
  [ "$(get 1 /app/)" = v2 ]
  [ -n "$(ids green)" ] && [ "$(ids green)" != "$kept" ]
  grep -q '^DELIVERY_COLOR=green$' "$H1_STATE/g/app/releases/$r/app/.env"
}

@test "a bad ROLLBACK_WINDOW in the host config is refused with the key and the pattern" {
  set_window 5m
  run --separate-stderr rollout_on 1 status g/app
  set_window 300
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"ROLLBACK_WINDOW: '5m' does not match"* ]]
}

@test "rollback --confirm: the preflight's answer with the lock held, then the switch only on go RELEASE" {
  app_idle 1 g/app
  cur=$(readlink "$H1_STATE/g/app/current") && cur=${cur##*/}
  prev=$(cat "$H1_STATE/g/app/previous")
  mkfifo "$BATS_TEST_TMPDIR/in"
  rollout_on 1 rollback g/app --deadline 60 --confirm <"$BATS_TEST_TMPDIR/in" >"$BATS_TEST_TMPDIR/c.out" 2>"$BATS_TEST_TMPDIR/c.err" &
  pid=$!
  exec {w}>"$BATS_TEST_TMPDIR/in"
  for _ in $(seq 200); do grep -q '"event":"prepared"' "$BATS_TEST_TMPDIR/c.out" && break; sleep 0.05; done
  first=$(head -n1 "$BATS_TEST_TMPDIR/c.out")
  echo "$first"
  [ "$(jq -r '[.event, .app, .protocol, .router, .current, .previous] | @tsv' <<<"$first")" = "$(printf 'prepared\tg/app\t1\thaproxy\t%s\t%s' "$cur" "$prev")" ]
  jq -e --arg p "$prev" '[.releases[].id] | index($p) != null' <<<"$first"
  # waiting for the word, it holds the app's lock: nobody deploys in between
  run flock -n "$H1_STATE/g/app/lock" true
  [ "$status" -ne 0 ]
  echo "go $prev" >&"$w"
  exec {w}>&-
  wait "$pid"
  [ "$(readlink "$H1_STATE/g/app/current")" = "releases/$prev" ]
  [ "$(tail -n1 "$BATS_TEST_TMPDIR/c.out" | jq -r '[.event, .verb, .ok, .release] | @tsv')" = "$(printf 'result\trollback\ttrue\t%s' "$prev")" ]
  # for the schema check (test/unit/events.test.ts)
  cp "$BATS_TEST_TMPDIR/c.out" "$REPO/.tmp/rollout-events-rollback-confirm.jsonl"
  app_idle 1 g/app

  # the end of stdin without a word: nothing changes, the lock is free again
  run --separate-stderr rollout_on 1 rollback g/app --confirm </dev/null
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"rollback not confirmed by the client: nothing changed"* ]]
  [ "$(readlink "$H1_STATE/g/app/current")" = "releases/$prev" ]
  flock -n "$H1_STATE/g/app/lock" true
  # a word that is not go, and a go that contradicts --to: nothing changes either
  run --separate-stderr rollout_on 1 rollback g/app --confirm <<<"stop"
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"not confirmed by the client (stop)"* ]]
  run --separate-stderr rollout_on 1 rollback g/app --to "$cur" --confirm <<<"go r1"
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"go r1, but --to $cur was given: nothing changed"* ]]
  [ "$(readlink "$H1_STATE/g/app/current")" = "releases/$prev" ]
}

# confirm_session: rollout rollback g/app --confirm in the background, its
# stdin the fifo $BATS_TEST_TMPDIR/in held open on fd $W; waits for prepared
confirm_session() {
  rm -f "$BATS_TEST_TMPDIR/in"
  mkfifo "$BATS_TEST_TMPDIR/in"
  rollout_on 1 rollback g/app --deadline 60 --confirm <"$BATS_TEST_TMPDIR/in" >"$BATS_TEST_TMPDIR/c.out" 2>"$BATS_TEST_TMPDIR/c.err" &
  SPID=$!
  exec {W}>"$BATS_TEST_TMPDIR/in"
  for _ in $(seq 200); do grep -q '"event":"prepared"' "$BATS_TEST_TMPDIR/c.out" && break; sleep 0.05; done
  grep -q '"event":"prepared"' "$BATS_TEST_TMPDIR/c.out"
}
# confirm_job: the job file the session's worker got (new since $runs_before);
# confirm_workers: that worker, if it runs (the rollback window's timers of
# earlier runs keep their own job files)
confirm_job() { JOB=$(comm -13 <(echo "$runs_before") <(ls "$H1_STATE/g/app/runs") | grep '\.job$'); [ -n "$JOB" ]; }
confirm_workers() { pgrep -f -- "__run $H1_STATE/g/app/runs/$JOB" || true; }

@test "rollback --confirm starts its worker before the word: no word ends it and leaves nothing, and the client gone ends it too" {
  app_idle 1 g/app
  cur=$(readlink "$H1_STATE/g/app/current")
  runs_before=$(ls "$H1_STATE/g/app/runs")
  confirm_session
  confirm_job
  # the detached worker already runs, waiting for the word
  [ -n "$(confirm_workers)" ]
  [ "$(ls "$H1_STATE/g/app/runs")" != "$runs_before" ]
  exec {W}>&-
  rc=0
  wait "$SPID" || rc=$?
  [ "$rc" -eq 2 ]
  grep -q 'rollback not confirmed by the client: nothing changed' "$BATS_TEST_TMPDIR/c.err"
  # gone with the session, lock free, no run files left, nothing switched
  [ -z "$(confirm_workers)" ]
  flock -n "$H1_STATE/g/app/lock" true
  [ "$(ls "$H1_STATE/g/app/runs")" = "$runs_before" ]
  [ "$(readlink "$H1_STATE/g/app/current")" = "$cur" ]

  # the client (the session) killed while the worker waits: the worker ends
  confirm_session
  confirm_job
  [ -n "$(confirm_workers)" ]
  pkill -9 -f -- "rollout rollback g/app --deadline 60 --confirm"
  exec {W}>&-
  for _ in $(seq 100); do [ -z "$(confirm_workers)" ] && break; sleep 0.05; done
  [ -z "$(confirm_workers)" ]
  flock -w 5 "$H1_STATE/g/app/lock" true
  [ "$(ls "$H1_STATE/g/app/runs")" = "$runs_before" ]
  [ "$(readlink "$H1_STATE/g/app/current")" = "$cur" ]
}

@test "rollback --confirm with the word over 2 s after the answer: the switch looks at the containers again" {
  app_idle 1 g/app
  read -r sb_color sb_rel _ sb_state <"$H1_STATE/g/app/standby"
  [ "$sb_state" = running ]
  was=$(get 1 /app/)
  confirm_session
  # the kept color stops after the listing the worker started with
  docker stop -t 1 $(ids "$sb_color") >/dev/null
  sleep 2.2
  echo "go $sb_rel" >&"$W"
  exec {W}>&-
  wait "$SPID"
  # a listing from before the stop would have switched the router to stopped
  # containers; the fresh one starts them first
  grep -q 'started the kept containers' "$BATS_TEST_TMPDIR/c.err"
  refute grep -q 'router switch only' "$BATS_TEST_TMPDIR/c.err"
  [ "$(tail -n1 "$BATS_TEST_TMPDIR/c.out" | jq -r '[.event, .ok, .release] | @tsv')" = "$(printf 'result\ttrue\t%s' "$sb_rel")" ]
  [ "$(get 1 /app/)" != "$was" ]
  [ "$(readlink "$H1_STATE/g/app/current")" = "releases/$sb_rel" ]
}
