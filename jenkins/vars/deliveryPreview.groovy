// deliveryPreview: deploy a pull request as group/app-pr-N on QA, or remove
// it (teardown: true). In a multibranch job the number is CHANGE_ID. See
// deliveryPreview.txt.
def call(Map args = [:]) {
  if (!args.sshCredentialsId) { error 'deliveryPreview: sshCredentialsId is required (an SSH private key credential for sshagent)' }
  def pr = args.pr ?: env.CHANGE_ID
  if (!pr) { error 'deliveryPreview: pr is required outside a pull request build (CHANGE_ID is empty)' }
  def vars = ["DELIVERY_ENV=${args.environment ?: 'qa'}", "DELIVERY_PR=${pr}"]
  if (args.deliveryfile) { vars << "DELIVERY_FILE=${args.deliveryfile}" }
  if (args.images) { vars << "DELIVERY_IMAGES=${args.images}" }
  if (args.teardown) { vars << 'DELIVERY_TEARDOWN=true' }
  if (args.cleanupOlderThan) { vars << "DELIVERY_CLEANUP_OLDER_THAN=${args.cleanupOlderThan}" }
  if (args.repository) { vars << "DELIVERY_REPOSITORY=${args.repository}" }
  if (args.knownHostsFile) { vars << "DELIVERY_KNOWN_HOSTS_PATH=${args.knownHostsFile}" }
  def creds = []
  if (args.registryCredentialsId) {
    creds << usernamePassword(credentialsId: args.registryCredentialsId,
                              usernameVariable: 'DELIVERY_REGISTRY_USERNAME',
                              passwordVariable: 'DELIVERY_REGISTRY_PASSWORD')
  }
  if (args.githubTokenCredentialsId) {
    creds << string(credentialsId: args.githubTokenCredentialsId, variable: 'DELIVERY_GITHUB_TOKEN')
  }
  withEnv(vars + deliveryCli.environment()) {
    withCredentials(creds) {
      sshagent(credentials: [args.sshCredentialsId]) {
        sh '''#!/bin/bash
set -euo pipefail
flags=()
[[ -n "${DELIVERY_KNOWN_HOSTS_PATH:-}" ]] && flags+=(--known-hosts "$DELIVERY_KNOWN_HOSTS_PATH")
if [[ -n "${DELIVERY_CLI:-}" ]]; then
  # shellcheck disable=SC2086 # DELIVERY_CLI is a command line, e.g. "npx delivery"
  exec $DELIVERY_CLI preview "${flags[@]}"
fi
exec node "$DELIVERY_CLI_JS" preview "${flags[@]}"
'''
      }
    }
  }
}
