#!/usr/bin/env bats
# The switch runs detached: an SSH client killed mid-switch, and a deadline
# that passes mid-switch (world 13, one host, real sshd with the forced command).

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
  world_up 13 1
  export DC="$BATS_FILE_TMPDIR/docker-config.json"
  registry_auth_config "$DC"
  make_bundle "$BATS_FILE_TMPDIR/r1.tgz" --release r1 --tag v1 --docker-config "$DC"
  rollout_on 1 deploy g/app <"$BATS_FILE_TMPDIR/r1.tgz" >/dev/null 2>&1
}

teardown_file() { world_down 13; }

wait_unlocked() {
  for _ in $(seq 100); do
    run --separate-stderr rollout_on 1 status g/app
    [ "$(last_json | jq -r '.lock')" = null ] && return 0
    sleep 0.3
  done
  return 1
}

# what runs, what status says and what the router serves must agree
one_version() {
  local want=$1
  run --separate-stderr rollout_on 1 status g/app
  [ "$(last_json | jq -r .current)" = "$want" ]
  run app_containers 1 g/app
  [ "$(printf '%s\n' "$output" | awk '{print $3}' | sort -u)" = "$want" ]
  [ "$(printf '%s\n' "$output" | awk '{print $2}' | sort -u | wc -l)" = 1 ]
}

@test "rollout is reachable through the real sshd with the forced command" {
  [ "$(get 1 /app/)" = v1 ]
  one_version r1
}

@test "the SSH client killed mid-switch: the switch finishes, one version serves, status says which" {
  # no health check: a 4 s stability window keeps the switch busy long enough
  make_bundle "$BATS_TEST_TMPDIR/r2.tgz" --release r2 --tag v2 --docker-config "$DC" --no-healthcheck --stable 4
  ssh_on 1 deploy g/app --release r2 <"$BATS_TEST_TMPDIR/r2.tgz" >"$BATS_TEST_TMPDIR/ssh.out" 2>&1 &
  spid=$!
  for _ in $(seq 100); do grep -q '"phase":"starting"' "$BATS_TEST_TMPDIR/ssh.out" && break; sleep 0.1; done
  grep -q '"phase":"starting"' "$BATS_TEST_TMPDIR/ssh.out"
  kill -9 "$spid"
  wait "$spid" || true
  refute grep -q '"event":"result"' "$BATS_TEST_TMPDIR/ssh.out"
  wait_unlocked
  one_version r2
  [ "$(get 1 /app/)" = v2 ]
  run --separate-stderr rollout_on 1 status g/app
  [ "$(last_json | jq -r .last.result)" = ok ]
}

@test "a deadline that passes mid-switch: rolled back, exit 8, the old version still serves" {
  make_bundle "$BATS_TEST_TMPDIR/r3.tgz" --release r3 --tag v3 --docker-config "$DC" --no-healthcheck --stable 10
  run --separate-stderr ssh_on 1 deploy g/app --release r3 --deadline 3 <"$BATS_TEST_TMPDIR/r3.tgz"
  [ "$status" -eq 8 ]
  [[ "$stderr" == *"deadline passed"* ]]
  [ "$(last_json | jq -r '.code, .ok' | tr '\n' ' ')" = "8 false " ]
  [ "$(get 1 /app/)" = v2 ]
  one_version r2
  [ ! -d "$H1_STATE/g/app/releases/r3" ]
}

@test "the drain runs after the result: a long drain does not hold the deploy (nor its deadline)" {
  printf 'DRAIN_SECONDS=30\n' >>"$H1_CONFIG"
  make_bundle "$BATS_TEST_TMPDIR/r4.tgz" --release r4 --tag v3 --docker-config "$DC"
  # the deadline is well below the 30 s drain, with room for a loaded machine
  run --separate-stderr ssh_on 1 deploy g/app --release r4 --deadline 15 <"$BATS_TEST_TMPDIR/r4.tgz"
  [ "$status" -eq 0 ]
  printf '%s\n' "$output" | grep -q '"phase":"draining"'
  [ "$(last_json | jq -r '.ok, .release' | tr '\n' ' ')" = "true r4 " ]
  [ "$(get 1 /app/)" = v3 ]
  # the old color drains after the result, the worker holding the app's lock
  run --separate-stderr rollout_on 1 status g/app
  [ "$(last_json | jq -r .lock.release)" = r4 ]
  sed -i '$d' "$H1_CONFIG"
}
