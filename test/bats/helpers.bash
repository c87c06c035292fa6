# Shared helpers for the host-side bats tests. Load with `load helpers`.
# shellcheck shell=bash

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WORLD_SH="$REPO/test/world/world.sh"

# world_up ID NHOSTS [ROUTER]: bring the world up and export world.env
world_up() {
  local id=$1 n=$2 router=${3:-haproxy}
  bash "$WORLD_SH" up "$id" "$n" --router "$router" >&3 2>&1 || bash "$WORLD_SH" up "$id" "$n" --router "$router"
  set -a
  # shellcheck source=/dev/null
  source "$REPO/.tmp/world-$id/world.env"
  set +a
  export BATS_WORLD_ID=$id
}

world_down() { bash "$WORLD_SH" down "$1" >/dev/null 2>&1 || true; }

# hv N KEY: the world.env value H<N>_<KEY>
hv() { local v="H$1_$2"; printf '%s' "${!v}"; }

# rollout_on N ARGS...: rollout as the deploy user with host N's config (stdin passes through)
rollout_on() {
  local n=$1
  shift
  env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME="/home/$DEPLOY_USER" \
    ROLLOUT_CONFIG="$(hv "$n" CONFIG)" runuser -u "$DEPLOY_USER" -- "$(hv "$n" ROOT)/usr/local/bin/rollout" "$@"
}

# rollout_with CONFIG ARGS...: rollout as the deploy user on host 1's script with another config file
rollout_with() {
  local cfg=$1
  shift
  env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME="/home/$DEPLOY_USER" \
    ROLLOUT_CONFIG="$cfg" runuser -u "$DEPLOY_USER" -- "$(hv 1 ROOT)/usr/local/bin/rollout" "$@"
}

# ssh_on N COMMAND: through the host's real sshd and the forced command
ssh_on() {
  local n=$1
  shift
  ssh -i "$SSH_KEY" -o UserKnownHostsFile="$KNOWN_HOSTS" -o StrictHostKeyChecking=yes -o BatchMode=yes \
    -o ConnectTimeout=5 -o LogLevel=ERROR -p "$(hv "$n" SSH_PORT)" "$DEPLOY_USER@$(hv "$n" ADDR)" "$@"
}

# get N PATH: body from host N's router (HAProxy)
get() { curl -s -m 3 "http://$(hv "$1" ADDR):$(hv "$1" HTTP_PORT)$2"; }
get_code() { curl -s -o /dev/null -m 3 -w '%{http_code}' "http://$(hv "$1" ADDR):$(hv "$1" HTTP_PORT)$2"; }

# make_bundle OUT [options]: a bundle per docs/protocol.md, made with tar/gzip
#   --app G/A  --release ID  --tag v1|v2|v3|broken  --image REF  --path /p/ (route path; "" = no route)
#   --host NAME  --strip 0|1  --secret NAME=VALUE  --docker-config FILE  --stable N  --timeout N
#   --no-healthcheck  --router R  --manifest-app G/A  --compose FILE (own compose file)  --keep N
#   --no-images (no IMAGES: the compose file's own image tags are pulled and pinned by rollout)
make_bundle() {
  local out=$1
  shift
  local app=g/app release=r1 tag=v1 image="" path=/app/ host="" strip=1 dconf="" stable=1 timeout=20
  local nohc=0 router="" mapp="" compose="" keep="" health_path="" noimages=0
  local -a secrets=()
  while (($#)); do
    case "$1" in
      --app) app=$2 ;;
      --release) release=$2 ;;
      --tag) tag=$2 ;;
      --image) image=$2 ;;
      --path) path=$2 ;;
      --host) host=$2 ;;
      --strip) strip=$2 ;;
      --secret) secrets+=("$2") ;;
      --docker-config) dconf=$2 ;;
      --stable) stable=$2 ;;
      --timeout) timeout=$2 ;;
      --no-healthcheck) nohc=1; shift; continue ;;
      --no-images) noimages=1; shift; continue ;;
      --router) router=$2 ;;
      --manifest-app) mapp=$2 ;;
      --compose) compose=$2 ;;
      --keep) keep=$2 ;;
      --health-path) health_path=$2 ;;
      *) echo "make_bundle: unknown option $1" >&2; return 2 ;;
    esac
    shift 2
  done
  [[ -n "$image" ]] || image="$TEST_IMAGE:$tag"
  local d
  d=$(mktemp -d "$BATS_TEST_TMPDIR/bundle.XXXXXX")
  mkdir -p "$d/app" "$d/secrets"
  if [[ -n "$compose" ]]; then
    cp "$compose" "$d/app/docker-compose.yml"
  else
    {
      printf 'services:\n  web:\n    image: %s\n    init: true\n' "$image"
      if ((nohc)); then printf '    healthcheck:\n      disable: true\n'; fi
      if ((${#secrets[@]})); then
        printf '    secrets:\n'
        local s
        for s in "${secrets[@]}"; do printf '      - %s\n' "${s%%=*}"; done
      fi
    } >"$d/app/docker-compose.yml"
  fi
  printf 'GREETING=hello\n' >"$d/app/app.env"
  local names="" s
  for s in "${secrets[@]}"; do
    printf '%s' "${s#*=}" >"$d/secrets/${s%%=*}"
    chmod 600 "$d/secrets/${s%%=*}"
    names+="${names:+ }${s%%=*}"
  done
  local route_service=web route_port=8080
  if [[ -z "$path" && -z "$host" ]]; then route_service="" route_port=""; fi
  local hcset=web
  ((nohc)) && hcset=""
  cat >"$d/rollout.env" <<EOF
SCHEMA=1
APPLICATION=$app
RELEASE=$release
COMPOSE_FILES=docker-compose.yml
ENV_FILES=app.env
SERVICES=web
LOGGING_SET=
HEALTHCHECK_SET=$hcset
IMAGES=$( ((noimages)) || printf 'web=%s' "$image")
ROUTE_SERVICE=$route_service
ROUTE_PORT=$route_port
ROUTE_PATH=$path
ROUTE_HOST=$host
ROUTE_STRIP_PREFIX=$strip
HEALTH_TIMEOUT=$timeout
HEALTH_STABLE=$stable
HEALTH_PATH=$health_path
KEEP=$keep
ROUTER=$router
SECRETS=$names
EOF
  local route=null
  if [[ -n "$route_service" ]]; then
    route="{ \"service\": \"web\", \"port\": 8080, \"path\": $([[ -n $path ]] && printf '"%s"' "$path" || echo null), \"host\": $([[ -n $host ]] && printf '"%s"' "$host" || echo null), \"strip_prefix\": $([[ $strip == 1 ]] && echo true || echo false) }"
  fi
  cat >"$d/manifest.json" <<EOF
{
  "schema": 1,
  "application": "${mapp:-$app}",
  "environment": "test",
  "release": "$release",
  "created": "2026-11-26T14:10:00.000Z",
  "git": { "sha": null, "ref": null },
  "compose_files": ["docker-compose.yml"],
  "env_files": ["app.env"],
  "services": ["web"],
  "images": { $( ((noimages)) || printf '"web": "%s"' "$image") },
  "route": $route,
  "health": { "timeout": $timeout, "stable": $stable, "path": null },
  "keep": ${keep:-5},
  "router": $([[ -n $router ]] && printf '"%s"' "$router" || echo null),
  "secrets": [$(for s in "${secrets[@]}"; do printf '"%s",' "${s%%=*}"; done | sed 's/,$//')],
  "registry": null
}
EOF
  if [[ -n "$dconf" ]]; then cp "$dconf" "$d/docker-config.json"; chmod 600 "$d/docker-config.json"; fi
  (cd "$d" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort |
    tar --no-recursion --owner=0 --group=0 --numeric-owner -czf "$out" -T -)
  rm -rf "$d"
}

# registry_auth_config OUT [PASSWORD]: a docker-config.json for the world's registry
registry_auth_config() {
  local out=$1 pw=${2:-$REGISTRY_PASSWORD}
  printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REGISTRY" "$(printf '%s:%s' "$REGISTRY_USER" "$pw" | base64 -w0)" >"$out"
  chmod 600 "$out"
}

# deploy_on N BUNDLE ARGS...: rollout deploy with the bundle on stdin; sets status/output (bats run)
deploy_on() {
  local n=$1 bundle=$2
  shift 2
  rollout_on "$n" deploy "$@" <"$bundle"
}

# json_result: the final result object of rollout's stdout in $output
# $output is set by bats' run
last_json() { printf '%s\n' "${output:-}" | grep '^{' | tail -n1; }

# app_idle N G/A: wait until rollout's work after a switch is done (the old
# color's drain and stop run after the result, under the app's lock)
app_idle() { [[ ! -f "$(hv "$1" STATE)/$2/lock" ]] || flock -w 60 "$(hv "$1" STATE)/$2/lock" true; }

# containers of a host's app: names of running containers with a label
app_containers() {
  app_idle "$1" "$2"
  docker ps --filter "label=delivery.app=$2" --filter "label=com.docker.compose.project" \
    --format '{{.Label "com.docker.compose.project"}} {{.Label "delivery.color"}} {{.Label "delivery.release"}}' |
    awk -v p="^$(hv "$1" PREFIX)" '$1 ~ p'
}

# app_ids N G/A [-a]: container ids of that app on host N (its project prefix)
app_ids() {
  app_idle "$1" "$2"
  local -a all=()
  [[ "${3:-}" == -a ]] && all=(-a)
  docker ps "${all[@]}" --filter "label=delivery.app=$2" \
    --format '{{.ID}} {{.Label "com.docker.compose.project"}}' |
    awk -v p="^$(hv "$1" PREFIX)" '$2 ~ p {print $1}'
}

# proc_alive PID: running and not a zombie (PID 1 here may not reap daemons)
proc_alive() { [[ -r "/proc/$1/stat" && "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" != Z ]]; }

# refute CMD…: CMD must fail. A bare `! CMD` fails a bats test only on its
# last line (set -e ignores a negated command), so checks use this instead.
refute() {
  if "$@"; then
    printf 'expected to fail: %s\n' "$*" >&2
    return 1
  fi
}
