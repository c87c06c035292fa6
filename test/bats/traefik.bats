#!/usr/bin/env bats
# The traefik router: labels named after the app, and the drain by cord
# file: the old color's health check fails first, Docker reports it
# unhealthy, and only then is it stopped (read from Docker's events).
# Traefik itself cannot run here: no image can be pulled (world 15).

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
  world_up 15 1 traefik
  # Traefik does not run here, so there is no throttle window to wait out
  printf 'TRAEFIK_SETTLE=1\n' >>"$H1_CONFIG"
  export DC="$BATS_FILE_TMPDIR/docker-config.json"
  registry_auth_config "$DC"
  export COMPOSE="$BATS_FILE_TMPDIR/docker-compose.yml"
  cat >"$COMPOSE" <<'YML'
services:
  web:
    image: ${IMAGE_UNUSED:-placeholder}
    init: true
    labels:
      - traefik.enable=true
      - traefik.http.routers.${DELIVERY_NAME}.rule=PathPrefix(`${DELIVERY_ROUTE_PATH}`)
      - traefik.http.services.${DELIVERY_NAME}.loadbalancer.server.port=${DELIVERY_ROUTE_PORT}
YML
}

teardown_file() { world_down 15; }

@test "Traefik itself (routing through a running Traefik v3)" {
  skip "Traefik cannot run here: no image can be pulled (no internet); the cord-file drain is tested below with Docker events, the labels with docker inspect"
}

@test "labels name the Traefik router after the app; the routed service joins the Traefik network" {
  make_bundle "$BATS_TEST_TMPDIR/r1.tgz" --release r1 --tag v1 --docker-config "$DC" --compose "$COMPOSE"
  run --separate-stderr rollout_on 1 deploy g/app <"$BATS_TEST_TMPDIR/r1.tgz"
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  cid=$(app_ids 1 g/app)
  [ "$(docker inspect --format '{{index .Config.Labels "traefik.http.routers.g_app.rule"}}' "$cid")" = 'PathPrefix(`/app/`)' ]
  docker inspect --format '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' "$cid" | grep -q "$TRAEFIK_NETWORK"
  [ "$(docker inspect --format '{{.State.Health.Status}}' "$cid")" = healthy ]
  docker inspect --format '{{json .Config.Healthcheck.Test}}' "$cid" | grep -q 'test -f /run/delivery/cord'
}

@test "the old color turns unhealthy (cord removed) before it is stopped" {
  old=$(app_ids 1 g/app)
  docker events --since "$(date +%s)" --filter "container=$old" --format '{{.Status}}' >"$BATS_TEST_TMPDIR/events" &
  epid=$!
  make_bundle "$BATS_TEST_TMPDIR/r2.tgz" --release r2 --tag v2 --docker-config "$DC" --compose "$COMPOSE"
  run --separate-stderr rollout_on 1 deploy g/app <"$BATS_TEST_TMPDIR/r2.tgz"
  # the old color is stopped after the result (the drain's tail): wait for it, bounded
  for _ in $(seq 100); do grep -qE '^(kill|stop|die)$' "$BATS_TEST_TMPDIR/events" && break; sleep 0.2; done
  sleep 0.5
  kill "$epid"
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  cat "$BATS_TEST_TMPDIR/events"
  unhealthy=$(grep -n 'health_status: unhealthy' "$BATS_TEST_TMPDIR/events" | head -n1 | cut -d: -f1)
  stopped=$(grep -nE '^(kill|stop|die)$' "$BATS_TEST_TMPDIR/events" | head -n1 | cut -d: -f1)
  [ -n "$unhealthy" ] && [ -n "$stopped" ]
  [ "$unhealthy" -lt "$stopped" ]
  [[ "$stderr" == *"draining blue"* ]]
  [ "$(docker inspect --format '{{index .Config.Labels "delivery.release"}}' "$(app_ids 1 g/app)")" = r2 ]
}

@test "an image with no shell is refused with exit 2 (its health check cannot be wrapped)" {
  docker build -q -t "$REGISTRY/delivery-test/noshell:1" "$REPO/test/world/noshell" >/dev/null
  DOCKER_CONFIG="$REGISTRY_DOCKER_CONFIG" docker push -q "$REGISTRY/delivery-test/noshell:1" >/dev/null
  make_bundle "$BATS_TEST_TMPDIR/n.tgz" --release n1 --image "$REGISTRY/delivery-test/noshell:1" --docker-config "$DC" --compose "$COMPOSE"
  run --separate-stderr rollout_on 1 deploy g/app <"$BATS_TEST_TMPDIR/n.tgz"
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"no /bin/sh"* ]]
  [ "$(docker inspect --format '{{index .Config.Labels "delivery.release"}}' "$(app_ids 1 g/app)")" = r2 ]
}

@test "the teapot image builds from the busybox base and answers 418 to everything" {
  docker build -q --build-arg BASE=delivery/base:busybox -t w15-teapot:test "$REPO/src/host/traefik/teapot" >/dev/null
  docker rm -f w15-teapot >/dev/null 2>&1 || true
  docker run -d --name w15-teapot --init -p "$H1_ADDR:18418:8080" w15-teapot:test >/dev/null
  code=""
  for _ in $(seq 50); do
    code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://$H1_ADDR:18418/any/path?x=1" || true)
    [ "$code" = 418 ] && break
    sleep 0.2
  done
  body=$(curl -s -m 2 "http://$H1_ADDR:18418/")
  docker rm -f w15-teapot >/dev/null
  docker rmi w15-teapot:test >/dev/null
  [ "$code" = 418 ]
  [[ "$body" == *"teapot"* ]]
}
