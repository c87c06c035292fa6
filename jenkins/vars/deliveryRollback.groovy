// deliveryRollback: roll an environment back to the previous release, or to
// args.to. See deliveryRollback.txt.
def call(Map args = [:]) {
  if (!args.environment) { error 'deliveryRollback: environment is required' }
  if (!args.sshCredentialsId) { error 'deliveryRollback: sshCredentialsId is required (an SSH private key credential for sshagent)' }
  def vars = ["DELIVERY_ENV=${args.environment}"]
  if (args.deliveryfile) { vars << "DELIVERY_FILE=${args.deliveryfile}" }
  if (args.to) { vars << "DELIVERY_TO=${args.to}" }
  if (args.sshUser) { vars << "DELIVERY_SSH_USER=${args.sshUser}" }
  if (args.jumpHost) { vars << "DELIVERY_JUMP_HOST=${args.jumpHost}" }
  if (args.knownHostsFile) { vars << "DELIVERY_KNOWN_HOSTS_PATH=${args.knownHostsFile}" }
  withEnv(vars + deliveryCli.environment()) {
    sshagent(credentials: [args.sshCredentialsId]) {
      sh '''#!/bin/bash
set -euo pipefail
flags=()
[[ -n "${DELIVERY_KNOWN_HOSTS_PATH:-}" ]] && flags+=(--known-hosts "$DELIVERY_KNOWN_HOSTS_PATH")
if [[ -n "${DELIVERY_CLI:-}" ]]; then
  # shellcheck disable=SC2086 # DELIVERY_CLI is a command line, e.g. "npx delivery"
  exec $DELIVERY_CLI rollback "${flags[@]}"
fi
exec node "$DELIVERY_CLI_JS" rollback "${flags[@]}"
'''
    }
  }
}
