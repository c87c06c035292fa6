#!/usr/bin/env bash
# `npm run demo`: the whole path on this one machine.
#
#   npm run demo             bring everything up, deploy v1, then v2 under load
#   npm run demo -- --down   remove everything the demo started and created
#
# What runs (all on loopback, world ID 50, see test/world/README.md):
#   registry with a password          127.50.0.1:5000
#   three hosts h1..h3                sshd 127.50.0.1{1,2,3}:2222 (forced `rollout` key),
#                                     HAProxy router :8080 on the same address (418 teapot)
#   the upstream Apache balancer      http://127.50.0.1:8080/hello/  (config from `delivery lb-config`;
#                                     its own apache2 process, config, pid and logs in .sandbox/apache)
# The example app (examples/app) is built from the locally made busybox base,
# pushed, deployed as v1 with the CLI, then v2 while a bounded request loop
# runs against the balancer. Running it again redeploys v1, then v2.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD

ID=50
SANDBOX=$REPO/.sandbox
WORLD=$REPO/.tmp/world-$ID
LISTEN=127.$ID.0.1:8080
URL=http://$LISTEN/hello/
IMAGE=127.$ID.0.1:5000/examples/hello

say() { printf '\033[1mdemo:\033[0m %s\n' "$*" >&2; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

down() {
  say "removing the demo"
  bash scripts/bench/apache.sh stop "$SANDBOX/apache" || true
  if [[ -d "$WORLD" ]]; then bash test/world/world.sh down "$ID"; fi
  rm -rf "$SANDBOX"
  say "removed: balancer, hosts, registry, containers, images (world.sh down removes every 127.$ID.0.1:5000/* image) and .sandbox/"
}

# The CLI: the committed bundle when it has every command the demo uses,
# else a fresh bundle of the sources in .sandbox/dist.
cli_path() {
  if node dist/cli/index.js --help 2>/dev/null | grep -q 'lb-config' && node dist/cli/index.js --help | grep -q 'deploy'; then
    echo "$REPO/dist/cli/index.js"
    return
  fi
  local out=$SANDBOX/dist/cli/index.js
  if [[ ! -f "$out" ]] || [[ -n "$(find src -newer "$out" -name '*.ts' -print -quit)" ]]; then
    say "bundling the CLI from src/ (dist/ is not up to date) into .sandbox/dist"
    node scripts/build.mjs --out "$SANDBOX/dist" >&2
  fi
  echo "$out"
}

# image ref → its digest in the registry (repo@sha256:…)
digest_of() {
  docker image inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "$1" | grep -m1 "^$IMAGE@sha256:"
}

up() {
  [[ "$(id -u)" == 0 ]] || die "run as root: the demo starts sshd hosts and creates the deploy user"
  bash scripts/ensure-system.sh
  if [[ ! -d node_modules ]]; then say "npm ci"; npm ci --no-audit --no-fund >&2; fi
  mkdir -p "$SANDBOX"
  chmod 700 "$SANDBOX"
  local cli
  cli=$(cli_path)
  delivery() { node "$cli" "$@"; }

  say "starting the registry and three hosts (test/world/world.sh up $ID 3)"
  bash test/world/world.sh up "$ID" 3
  local registry_password
  registry_password=$(sed -n 's/^REGISTRY_PASSWORD=//p' "$WORLD/world.env")

  say "building examples/app v1 and v2 from the local busybox base, pushing to 127.$ID.0.1:5000"
  local v
  declare -A ref
  for v in v1 v2; do
    docker build -q --build-arg "VERSION=$v" -t "$IMAGE:$v" examples/app >/dev/null
    DOCKER_CONFIG=$WORLD/docker-config docker push -q "$IMAGE:$v" >/dev/null
    ref[$v]=$(digest_of "$IMAGE:$v")
    say "  $v = ${ref[$v]}"
  done

  # The example's Deliveryfile, pointed at this sandbox: its registry, and
  # both environments on the three local hosts.
  rm -rf "$SANDBOX/app"
  cp -r examples/app "$SANDBOX/app"
  node -e '
    const fs = require("fs"); const YAML = require("yaml");
    const [file, image, registry, cluster] = process.argv.slice(1);
    const d = YAML.parse(fs.readFileSync(file, "utf8"));
    d.registry = registry;
    d.images = { web: image };
    d.health = { ...d.health, timeout: 30 };
    d.preview.url = "http://127.50.0.1:8080" + d.preview.route.path;
    for (const env of Object.values(d.environments)) env.cluster = [cluster];
    fs.writeFileSync(file, "# examples/app/Deliveryfile, pointed at the demo sandbox by scripts/demo.sh\n" + YAML.stringify(d));
  ' "$SANDBOX/app/Deliveryfile" "$IMAGE" "127.$ID.0.1:5000" "$WORLD/cluster.yml"

  export DELIVERY_FILE=$SANDBOX/app/Deliveryfile DELIVERY_ENV=prod
  export DELIVERY_SSH_KEY DELIVERY_KNOWN_HOSTS DELIVERY_REGISTRY_PASSWORD=$registry_password
  DELIVERY_SSH_KEY=$(cat "$WORLD/client_key")
  DELIVERY_KNOWN_HOSTS=$(cat "$WORLD/known_hosts")
  local common=(--registry-username delivery)

  say "deploying v1 (delivery deploy --env prod)"
  delivery deploy "${common[@]}" --images "web=${ref[v1]}"

  say "configuring the upstream Apache balancer (delivery lb-config --env prod --format apache --probe)"
  delivery lb-config --format apache --probe >"$SANDBOX/lb.conf"
  bash scripts/bench/apache.sh start "$SANDBOX/apache" "$LISTEN" "$SANDBOX/lb.conf"
  local body=""
  for _ in $(seq 1 100); do
    body=$(curl -s -m 2 "$URL" || true)
    [[ "$body" == v1 ]] && break
    sleep 0.2
  done
  [[ "$body" == v1 ]] || die "the balancer does not answer v1 at $URL (see $SANDBOX/apache/error.log)"
  say "$URL answers v1"

  say "deploying v2 while a bounded request loop (4 keep-alive connections) runs against the balancer"
  rm -f "$SANDBOX/load.stop"
  node scripts/bench/load.mjs "$URL" --connections 4 --pause 1 --max-seconds 300 \
    --stop-file "$SANDBOX/load.stop" >"$SANDBOX/load.json" &
  local load_pid=$!
  sleep 1
  local deploy_rc=0
  delivery deploy "${common[@]}" --images "web=${ref[v2]}" || deploy_rc=$?
  sleep 1
  touch "$SANDBOX/load.stop"
  wait "$load_pid" || true
  rm -f "$SANDBOX/load.stop"

  echo
  delivery status || true
  echo
  local final failures requests
  final=$(curl -s -m 2 "$URL" || true)
  requests=$(jq -r .requests "$SANDBOX/load.json")
  failures=$(jq -r .failures "$SANDBOX/load.json")
  printf 'URL:               %s  (answers %s)\n' "$URL" "$final"
  printf 'requests:          %s during the v1 → v2 deploy (%s req/s)\n' "$requests" "$(jq -r .rps "$SANDBOX/load.json")"
  printf 'answers:           %s\n' "$(jq -c .bodies "$SANDBOX/load.json")"
  printf 'failed requests:   %s %s\n' "$failures" "$(jq -c 'select(.failures > 0) | {statuses, errors}' "$SANDBOX/load.json")"
  printf 'per balancer member (from the access log):\n'
  awk '$4 != "-" {n[$4]++} END {for (w in n) printf "  %-28s %d\n", w, n[w]}' "$SANDBOX/apache/access.log" | sort
  printf 'remove everything: npm run demo -- --down\n'
  ((deploy_rc == 0)) || die "the v2 deploy failed (exit $deploy_rc)"
  [[ "$failures" == 0 ]] || die "$failures requests failed"
  [[ "$final" == v2 ]] || die "the URL answers \"$final\", not v2"
}

case "${1:-}" in
  --down) down ;;
  "") up ;;
  *) echo "usage: npm run demo [-- --down]" >&2; exit 2 ;;
esac
