#!/usr/bin/env bats
# Compose v1 (end of life 2023) and a missing Compose plugin are refused with
# a message saying what to install. Compose v1 cannot run here, so a FAKE
# `docker` (a shell script in a temporary PATH) stands in for it.

bats_require_minimum_version 1.5.0
load helpers

setup() {
  mkdir -p "$BATS_TEST_TMPDIR/bin" "$BATS_TEST_TMPDIR/state"
  printf 'ROLLOUT_ROOT=%s\n' "$BATS_TEST_TMPDIR/state" >"$BATS_TEST_TMPDIR/config"
}

# fake_docker 'SHELL WHEN ASKED FOR compose version'
fake_docker() {
  printf '#!/bin/sh\n# FAKE docker for this test only\nif [ "$1 $2" = "compose version" ]; then %s; fi\nexit 1\n' "$1" >"$BATS_TEST_TMPDIR/bin/docker"
  chmod +x "$BATS_TEST_TMPDIR/bin/docker"
}

@test "Compose v1 is refused with exit 2, naming Compose v2" {
  fake_docker 'echo 1.29.2; exit 0'
  PATH="$BATS_TEST_TMPDIR/bin:$PATH" ROLLOUT_CONFIG="$BATS_TEST_TMPDIR/config" run --separate-stderr "$REPO/src/host/rollout" version
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"Compose 1.29.2 is too old"*"Compose v2"* ]]
  [[ "$(last_json)" == *'"code":2'* ]]
}

@test "no Compose plugin: exit 2 with what to install" {
  fake_docker 'exit 1'
  PATH="$BATS_TEST_TMPDIR/bin:$PATH" ROLLOUT_CONFIG="$BATS_TEST_TMPDIR/config" run --separate-stderr "$REPO/src/host/rollout" deploy g/app </dev/null
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"install docker-compose-plugin"* ]]
}

@test "the Compose version is asked once, and again when the docker CLI or the plugin changes" {
  mkdir -p "$BATS_TEST_TMPDIR/dc/cli-plugins"
  printf '#!/bin/sh\n# FAKE plugin file: only its path and mtime matter\nexit 1\n' >"$BATS_TEST_TMPDIR/dc/cli-plugins/docker-compose"
  chmod +x "$BATS_TEST_TMPDIR/dc/cli-plugins/docker-compose"
  fake_docker "echo asked >>$BATS_TEST_TMPDIR/asked; echo 2.26.1; exit 0"
  v() { PATH="$BATS_TEST_TMPDIR/bin:$PATH" DOCKER_CONFIG="$BATS_TEST_TMPDIR/dc" ROLLOUT_CONFIG="$BATS_TEST_TMPDIR/config" run --separate-stderr "$REPO/src/host/rollout" "$@"; }
  v version
  [ "$status" -eq 0 ]
  [[ "$(last_json)" == *'"compose":"2.26.1"'* ]]
  v preflight g/app
  [ "$status" -eq 0 ]
  [ "$(wc -l <"$BATS_TEST_TMPDIR/asked")" -eq 1 ]
  [[ "$(last_json)" == *'"compose":"2.26.1"'* ]]
  # the plugin upgraded (a new file, whatever its modification time): asked again
  cp -p "$BATS_TEST_TMPDIR/dc/cli-plugins/docker-compose" "$BATS_TEST_TMPDIR/new" && mv "$BATS_TEST_TMPDIR/new" "$BATS_TEST_TMPDIR/dc/cli-plugins/docker-compose"
  v preflight g/app
  [ "$status" -eq 0 ]
  [ "$(wc -l <"$BATS_TEST_TMPDIR/asked")" -eq 2 ]
  v version
  [ "$(wc -l <"$BATS_TEST_TMPDIR/asked")" -eq 2 ]
  # another docker CLI (here one that brings Compose v1, to see it refused): asked again
  fake_docker "echo asked >>$BATS_TEST_TMPDIR/asked; echo 1.29.2; exit 0"
  v preflight g/app
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"Compose 1.29.2 is too old"* ]]
  [ "$(wc -l <"$BATS_TEST_TMPDIR/asked")" -eq 3 ]
}

@test "a config key rollout does not know, or a bad value, is refused with exit 2" {
  printf 'KEEP_RELEASE=3\n' >>"$BATS_TEST_TMPDIR/config"
  ROLLOUT_CONFIG="$BATS_TEST_TMPDIR/config" run --separate-stderr "$REPO/src/host/rollout" list g
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"unknown key KEEP_RELEASE"* ]]
  printf 'ROLLOUT_ROOT=%s\nDRAIN_SECONDS=$(id)\n' "$BATS_TEST_TMPDIR/state" >"$BATS_TEST_TMPDIR/config"
  ROLLOUT_CONFIG="$BATS_TEST_TMPDIR/config" run --separate-stderr "$REPO/src/host/rollout" list g
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"DRAIN_SECONDS"* ]]
}
