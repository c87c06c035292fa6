#!/usr/bin/env bash
# The test command (`npm test`, and `.ci/run`): installs what the tests need,
# then runs the unit and end-to-end tests (vitest) and the host script's tests
# (shellcheck + bats against the real Docker engine).
#
#   npm test                 everything
#   npm test -- unit         only the fast unit tests
#   npm test -- e2e|bats|hosts  only that part (hosts: the core real-host scenario,
#                            test/hosts/fleet.test.ts; the rest: npm run test:hosts)
set -euo pipefail
cd "$(dirname "$0")/.."

part="${1:-all}"

if [[ "$part" != unit ]]; then
  bash scripts/ensure-system.sh
fi
if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "==> npm ci" >&2
  npm ci --no-audit --no-fund >&2
fi

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
status=0
passed=0 failed=0 skipped=0

run_vitest() {
  local project=$1
  echo "==> vitest ($project)" >&2
  if ! npx vitest run --project "$project" --reporter=default --reporter=json \
      --outputFile.json="$results/$project.json"; then
    status=1
  fi
  if [[ -s "$results/$project.json" ]]; then
    read -r p f s < <(node -e '
      const r = require(process.argv[1]);
      console.log(r.numPassedTests, r.numFailedTests || r.numFailedTestSuites, r.numPendingTests + r.numTodoTests)' "$results/$project.json")
    passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
  else
    failed=$((failed + 1))
  fi
}

run_bats() {
  echo "==> shellcheck" >&2
  local scripts=(src/host/rollout src/host/install.sh scripts/*.sh scripts/bench/*.sh test/world/*.sh test/hosts/*.sh)
  local existing=()
  for f in "${scripts[@]}"; do [[ -f "$f" ]] && existing+=("$f"); done
  if shellcheck -x "${existing[@]}"; then passed=$((passed + 1)); else failed=$((failed + 1)); status=1; fi
  compgen -G 'test/bats/*.bats' >/dev/null || return 0
  echo "==> bats" >&2
  if ! bats --tap test/bats | tee "$results/bats.tap"; then status=1; fi
  passed=$((passed + $(grep -E '^ok ' "$results/bats.tap" | grep -cv '# skip' || true)))
  skipped=$((skipped + $(grep -E '^ok ' "$results/bats.tap" | grep -c '# skip' || true)))
  failed=$((failed + $(grep -cE '^not ok ' "$results/bats.tap" | tr -d ' ' || true)))
}

case "$part" in
  unit) run_vitest unit ;;
  e2e) run_vitest e2e ;;
  hosts) run_vitest hosts ;;
  bats) run_bats ;;
  all) run_vitest unit; run_bats; run_vitest e2e; run_vitest hosts ;;
  *) echo "usage: npm test [-- unit|e2e|bats|hosts]" >&2; exit 2 ;;
esac

echo "tests: $passed passed, $failed failed, $skipped skipped"
exit "$status"
