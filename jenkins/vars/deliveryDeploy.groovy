// deliveryDeploy: deploy the app to every host of an environment.
// Secrets reach the CLI only as environment variables of single-quoted sh
// steps: never interpolated into a Groovy string. See deliveryDeploy.txt.
def call(Map args = [:]) {
  if (!args.environment) { error 'deliveryDeploy: environment is required' }
  if (!args.sshCredentialsId) { error 'deliveryDeploy: sshCredentialsId is required (an SSH private key credential for sshagent)' }
  def vars = ["DELIVERY_ENV=${args.environment}"]
  if (args.deliveryfile) { vars << "DELIVERY_FILE=${args.deliveryfile}" }
  if (args.images) { vars << "DELIVERY_IMAGES=${args.images}" }
  if (args.release) { vars << "DELIVERY_RELEASE=${args.release}" }
  if (args.sshUser) { vars << "DELIVERY_SSH_USER=${args.sshUser}" }
  if (args.jumpHost) { vars << "DELIVERY_JUMP_HOST=${args.jumpHost}" }
  if (args.concurrency) { vars << "DELIVERY_CONCURRENCY=${args.concurrency}" }
  if (args.onFailure) { vars << "DELIVERY_ON_FAILURE=${args.onFailure}" }
  if (args.knownHostsFile) { vars << "DELIVERY_KNOWN_HOSTS_PATH=${args.knownHostsFile}" }
  if (args.dryRun) { vars << 'DELIVERY_DRY_RUN=true' }
  def creds = []
  if (args.registryCredentialsId) {
    creds << usernamePassword(credentialsId: args.registryCredentialsId,
                              usernameVariable: 'DELIVERY_REGISTRY_USERNAME',
                              passwordVariable: 'DELIVERY_REGISTRY_PASSWORD')
  }
  if (args.secretsCredentialsId) {
    creds << file(credentialsId: args.secretsCredentialsId, variable: 'DELIVERY_SECRETS_PATH')
  }
  withEnv(vars + deliveryCli.environment()) {
    withCredentials(creds) {
      sshagent(credentials: [args.sshCredentialsId]) {
        sh '''#!/bin/bash
set -euo pipefail
flags=()
[[ -n "${DELIVERY_KNOWN_HOSTS_PATH:-}" ]] && flags+=(--known-hosts "$DELIVERY_KNOWN_HOSTS_PATH")
[[ -n "${DELIVERY_SECRETS_PATH:-}" ]] && flags+=(--secrets-file "$DELIVERY_SECRETS_PATH")
if [[ -n "${DELIVERY_CLI:-}" ]]; then
  # shellcheck disable=SC2086 # DELIVERY_CLI is a command line, e.g. "npx delivery"
  exec $DELIVERY_CLI deploy "${flags[@]}"
fi
exec node "$DELIVERY_CLI_JS" deploy "${flags[@]}"
'''
      }
    }
  }
}
