#!/usr/bin/env bats
# shellcheck for the bats helpers and the teapot; scripts/test.sh runs it on
# rollout, install.sh and world.sh before bats (no global exclusions).

load helpers

@test "shellcheck: bats helpers and the teapot" {
  cd "$REPO"
  shellcheck -x src/host/traefik/teapot/teapot.sh
  shellcheck -x -s bash test/bats/helpers.bash
}

@test "every shellcheck disable in the host scripts carries its reason" {
  cd "$REPO"
  run grep -n 'shellcheck disable=' src/host/rollout src/host/install.sh test/world/world.sh
  for line in "${lines[@]}"; do [[ "$line" == *"disable=SC"[0-9]*" "*"# "* ]] || { echo "no reason: $line"; false; }; done
}
