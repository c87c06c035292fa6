// deliveryBuildPush: build the image, tag it from git, push it; returns
// image@sha256:… (pinned by digest) for deliveryDeploy's images. See
// deliveryBuildPush.txt.
def call(Map args = [:]) {
  if (!args.image) { error 'deliveryBuildPush: image is required (a repository without tag)' }
  def vars = ["DELIVERY_IMAGE=${args.image}"]
  if (args.context) { vars << "DELIVERY_CONTEXT=${args.context}" }
  if (args.file) { vars << "DELIVERY_DOCKERFILE=${args.file}" }
  if (args.buildArgs) { vars << "DELIVERY_BUILD_ARGS=${args.buildArgs}" }
  if (args.tags) { vars << "DELIVERY_TAGS=${args.tags}" }
  if (args.latest) { vars << 'DELIVERY_LATEST=true' }
  if (args.push == false) { vars << 'DELIVERY_PUSH=false' }
  if (args.registry) { vars << "DELIVERY_REGISTRY=${args.registry}" }
  def creds = []
  if (args.registryCredentialsId) {
    creds << usernamePassword(credentialsId: args.registryCredentialsId,
                              usernameVariable: 'DELIVERY_REGISTRY_USERNAME',
                              passwordVariable: 'DELIVERY_REGISTRY_PASSWORD')
  }
  def ref = ''
  withEnv(vars + deliveryCli.environment()) {
    withCredentials(creds) {
      ref = sh(returnStdout: true, script: '''#!/bin/sh
if [ -n "${DELIVERY_CLI:-}" ]; then
  # shellcheck disable=SC2086 # DELIVERY_CLI is a command line, e.g. "npx delivery"
  exec $DELIVERY_CLI build-push
fi
exec node "$DELIVERY_CLI_JS" build-push
''').trim()
    }
  }
  return ref
}
