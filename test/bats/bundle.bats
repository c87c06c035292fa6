#!/usr/bin/env bats
# Hostile bundles and hostile forced commands: refused with exit 2, nothing
# created outside the release folder, nothing run (world 12, one host,
# through the real sshd with the forced command).

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
  world_up 12 1
  # small caps for this host, so a gzip bomb is cheap to make
  printf 'MAX_BUNDLE_BYTES=200000\nMAX_UNPACKED_BYTES=2000000\n' >>"$H1_CONFIG"
  export PWNED="$WORLD_DIR/pwned"
}

teardown_file() { world_down 12; }

setup() {
  W="$BATS_TEST_TMPDIR/w"
  mkdir -p "$W/app"
  rm -rf "$PWNED" /tmp/delivery-pwned-12
}

# a valid bundle's files in $W, to be spoiled by each test
base_files() {
  make_bundle "$BATS_TEST_TMPDIR/ok.tgz" --release evil1
  tar -xzf "$BATS_TEST_TMPDIR/ok.tgz" -C "$W"
}

# snapshot of everything under the host's state and the world folder
snapshot() { find "$H1_STATE" "$WORLD_DIR" -path "$WORLD_DIR/registry" -prune -o -path "$WORLD_DIR/h1/sshd.log" -prune -o -print 2>/dev/null | grep -v -e '/runs/' -e '/g/app/lock$' -e '/g/app$' | sort; }

# refused BUNDLE WORDS...: deploy over SSH, expect exit 2 and no new file
refused() {
  local bundle=$1
  shift
  local before after
  before=$(snapshot)
  run --separate-stderr ssh_on 1 "$@" <"$bundle"
  [ "$status" -eq 2 ] || { echo "status $status: $stderr"; return 1; }
  [[ "$(last_json)" == *'"ok":false'* ]]
  after=$(snapshot)
  diff <(printf '%s\n' "$before") <(printf '%s\n' "$after")
  [ ! -e "$PWNED" ]
  [ -z "$(ls "$H1_STATE/g/app/releases" 2>/dev/null)" ]
}

@test "a valid bundle over ssh is accepted (the baseline of this file)" {
  base_files
  run --separate-stderr ssh_on 1 "rollout deploy g/app --dry-run" <"$BATS_TEST_TMPDIR/ok.tgz"
  [ "$status" -eq 0 ]
}

@test "absolute path in the bundle" {
  base_files
  touch "$BATS_TEST_TMPDIR/abs"
  (cd "$W" && tar -czPf "$BATS_TEST_TMPDIR/b.tgz" manifest.json rollout.env app "$BATS_TEST_TMPDIR/abs")
  refused "$BATS_TEST_TMPDIR/b.tgz" deploy g/app
  [[ "$stderr" == *"absolute path"* ]]
}

@test "../ in the bundle" {
  base_files
  mkdir -p "$W/sub"
  (cd "$W/sub" && tar -czPf "$BATS_TEST_TMPDIR/b.tgz" ../manifest.json ../rollout.env ../app)
  refused "$BATS_TEST_TMPDIR/b.tgz" deploy g/app
  [[ "$stderr" == *"'..'"* ]]
}

@test "symlink in the bundle" {
  base_files
  ln -s "$PWNED" "$W/app/link"
  (cd "$W" && tar -czf "$BATS_TEST_TMPDIR/b.tgz" manifest.json rollout.env app)
  refused "$BATS_TEST_TMPDIR/b.tgz" deploy g/app
  [[ "$stderr" == *"symlink"* ]]
}

@test "hard link in the bundle" {
  base_files
  ln "$W/rollout.env" "$W/app/hard"
  (cd "$W" && tar -czf "$BATS_TEST_TMPDIR/b.tgz" rollout.env manifest.json app)
  refused "$BATS_TEST_TMPDIR/b.tgz" deploy g/app
  [[ "$stderr" == *"hard link"* ]]
}

@test "device in the bundle" {
  base_files
  mknod "$W/app/null" c 1 3
  (cd "$W" && tar -czf "$BATS_TEST_TMPDIR/b.tgz" manifest.json rollout.env app)
  refused "$BATS_TEST_TMPDIR/b.tgz" deploy g/app
  [[ "$stderr" == *"device"* ]]
}

@test "FIFO in the bundle" {
  base_files
  mkfifo "$W/app/fifo"
  (cd "$W" && tar -czf "$BATS_TEST_TMPDIR/b.tgz" manifest.json rollout.env app)
  refused "$BATS_TEST_TMPDIR/b.tgz" deploy g/app
  [[ "$stderr" == *"FIFO"* ]]
}

@test "a gzip bomb over the cap" {
  base_files
  head -c 20000000 /dev/zero >"$W/app/zeros"
  (cd "$W" && tar -czf "$BATS_TEST_TMPDIR/b.tgz" manifest.json rollout.env app)
  [ "$(stat -c %s "$BATS_TEST_TMPDIR/b.tgz")" -lt 200000 ]
  refused "$BATS_TEST_TMPDIR/b.tgz" deploy g/app
  [[ "$stderr" == *"MAX_UNPACKED_BYTES"* ]]
}

@test "a bundle over MAX_BUNDLE_BYTES" {
  head -c 300000 /dev/urandom >"$BATS_TEST_TMPDIR/b.tgz"
  refused "$BATS_TEST_TMPDIR/b.tgz" deploy g/app
  [[ "$stderr" == *"MAX_BUNDLE_BYTES"* ]]
}

@test "a manifest naming another app" {
  make_bundle "$BATS_TEST_TMPDIR/b.tgz" --release evil1 --manifest-app other/app
  refused "$BATS_TEST_TMPDIR/b.tgz" deploy g/app
  [[ "$stderr" == *"another application"* ]]
}

@test "a bundle for another app than the command names" {
  make_bundle "$BATS_TEST_TMPDIR/b.tgz" --release evil1 --app other/app
  refused "$BATS_TEST_TMPDIR/b.tgz" deploy g/app
  [[ "$stderr" == *"is for other/app"* ]]
}

@test "a release id that differs from --release" {
  make_bundle "$BATS_TEST_TMPDIR/b.tgz" --release evil1
  refused "$BATS_TEST_TMPDIR/b.tgz" deploy g/app --release other
}

@test "a truncated stream" {
  make_bundle "$BATS_TEST_TMPDIR/ok.tgz" --release evil1
  size=$(stat -c %s "$BATS_TEST_TMPDIR/ok.tgz")
  head -c $((size / 2)) "$BATS_TEST_TMPDIR/ok.tgz" >"$BATS_TEST_TMPDIR/b.tgz"
  refused "$BATS_TEST_TMPDIR/b.tgz" deploy g/app
  [[ "$stderr" == *"truncated"* ]]
}

@test "a router the host does not run" {
  make_bundle "$BATS_TEST_TMPDIR/b.tgz" --release evil1 --router traefik
  refused "$BATS_TEST_TMPDIR/b.tgz" deploy g/app
  [[ "$stderr" == *"router traefik"* ]]
}

@test "hostile forced commands run nothing and exit 2" {
  marker=/tmp/delivery-pwned-12
  cmds=(
    "status g/app; touch $marker"
    "status g/app && touch $marker"
    "status \$(touch $marker)"
    "status \`touch $marker\`"
    "status g/app
touch $marker"
    "status ../app"
    "status g/.."
    "deploy g/app --release ../../x"
    "deploy g/app --deadline 1;touch"
    "list ../.."
    "status G/App"
    "rollout"
    "version extra"
    "status g/app | touch $marker"
    "status g/app > $marker"
  )
  for c in "${cmds[@]}"; do
    run --separate-stderr ssh_on 1 "$c" </dev/null
    [ "$status" -eq 2 ] || { echo "command: $c -> status $status"; return 1; }
    [ ! -e "$marker" ] || { echo "command ran: $c"; return 1; }
  done
}

@test "the forced command runs rollout: version with and without the leading word" {
  run --separate-stderr ssh_on 1 version
  [ "$status" -eq 0 ]
  [ "$(last_json | jq -r '.protocol, .router, .host' | tr '\n' ' ')" = "1 haproxy h1 " ]
  run --separate-stderr ssh_on 1 rollout version
  [ "$status" -eq 0 ]
  # no interactive shell for this key
  run ssh_on 1
  [ "$status" -eq 2 ]
}
