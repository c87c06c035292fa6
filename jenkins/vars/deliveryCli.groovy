// deliveryCli: the delivery CLI this library ships. resources/delivery/cli/index.js
// is the same single-file bundle as the release's npm package (no node_modules);
// it is written into the build's temporary folder once and run with the agent's
// `node` (Node 20 or later). Set DELIVERY_CLI (e.g. "delivery" from npm install -g)
// to run another CLI instead.
//
//   withEnv(deliveryCli.environment()) { sh '...' }  // the steps do this
//   def out = deliveryCli('plan', '--env', 'qa')     // any command; returns stdout
def environment() {
  if (env.DELIVERY_CLI) { return [] }
  def dir = "${pwd(tmp: true)}/delivery-cli"
  // setup uploads the host files from beside the CLI (../host).
  def files = ['cli/index.js', 'host/rollout', 'host/install.sh', 'host/traefik/docker-compose.yml',
               'host/traefik/teapot/Dockerfile', 'host/traefik/teapot/teapot.sh']
  files.each { f -> writeFile file: "${dir}/${f}", text: libraryResource("delivery/${f}") }
  return ["DELIVERY_CLI_JS=${dir}/cli/index.js"]
}

def call(String... words) {
  withEnv(environment() + ["DELIVERY_WORDS=${words.join('\n')}"]) {
    return sh(returnStdout: true, script: '''#!/bin/bash
set -euo pipefail
mapfile -t words <<<"$DELIVERY_WORDS"
unset DELIVERY_WORDS
if [[ -n "${DELIVERY_CLI:-}" ]]; then
  # shellcheck disable=SC2086 # DELIVERY_CLI is a command line, e.g. "npx delivery"
  exec $DELIVERY_CLI "${words[@]}"
fi
exec node "$DELIVERY_CLI_JS" "${words[@]}"
''')
  }
}
