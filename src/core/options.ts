/**
 * The one place that maps every option to its three spellings:
 * action input (`ssh-key`) ↔ CLI flag (`--ssh-key`) ↔ environment variable
 * (`DELIVERY_SSH_KEY`). The CLI reads flags, then the environment; the
 * actions read `INPUT_*` through @actions/core. The README table is checked
 * against this list by a test.
 */
export type OptionType = 'string' | 'boolean' | 'multiline';

export interface OptionSpec {
  /** CLI flag without the dashes. */
  flag: string;
  /** Action input name, when an action takes it (defaults to `flag`). */
  input?: string;
  type: OptionType;
  /** Masked everywhere, never logged. */
  secret?: boolean;
  /** When the option names a file: the CLI flag takes a path, the env/input takes the text. */
  fileFlag?: boolean;
  /** Environment variable, when it is not DELIVERY_ + the input name. */
  env?: string;
  description: string;
}

export const OPTIONS = {
  env: { flag: 'env', input: 'environment', env: 'DELIVERY_ENV', type: 'string', description: 'environment in the Deliveryfile (qa, prod, …)' },
  file: { flag: 'file', input: 'deliveryfile', env: 'DELIVERY_FILE', type: 'string', description: 'path of the Deliveryfile (default: Deliveryfile)' },
  release: { flag: 'release', type: 'string', description: 'release id (default: UTC time + short git sha)' },
  json: { flag: 'json', type: 'boolean', description: 'print the result as JSON on stdout' },
  'cluster-token': { flag: 'cluster-token', type: 'string', secret: true, description: 'bearer token for https:// cluster URLs' },
  'ssh-key': { flag: 'ssh-key', type: 'multiline', secret: true, fileFlag: true, description: 'SSH private key (CLI: a path; env/input: the key text); default: the ssh-agent' },
  'ssh-passphrase': { flag: 'ssh-passphrase', type: 'string', secret: true, description: 'passphrase of the SSH key' },
  'known-hosts': { flag: 'known-hosts', type: 'multiline', fileFlag: true, description: 'known_hosts lines for the hosts (CLI: a path; env/input: the text)' },
  'ssh-user': { flag: 'ssh-user', type: 'string', description: 'SSH user (default: deploy)' },
  'jump-host': { flag: 'jump-host', type: 'string', description: 'jump host, [user@]host[:port] (ProxyJump)' },
  concurrency: { flag: 'concurrency', type: 'string', description: 'hosts deployed at once in parallel mode (default 10)' },
  'on-failure': { flag: 'on-failure', type: 'string', description: 'rollback (default), stop or continue' },
  'insecure-skip-host-key-check': { flag: 'insecure-skip-host-key-check', type: 'boolean', description: 'DANGER: accept any host key (logged on every host)' },
  timeout: { flag: 'timeout', type: 'string', description: 'per-host overall timeout in seconds (default 600), passed to rollout as --deadline' },
  'connect-timeout': { flag: 'connect-timeout', type: 'string', description: 'SSH connect timeout in seconds (default 15)' },
  to: { flag: 'to', type: 'string', description: 'rollback target release (default: the previous one)' },
  images: { flag: 'images', type: 'multiline', description: 'pinned images, one a line: repo@sha256:… or service=repo@sha256:…' },
  secrets: { flag: 'secrets-file', input: 'secrets', type: 'multiline', secret: true, fileFlag: true, description: 'app secrets as dotenv lines (CLI: a path; env/input: the text)' },
  'registry-username': { flag: 'registry-username', type: 'string', description: 'registry user for the hosts\' pulls' },
  'registry-password': { flag: 'registry-password', type: 'string', secret: true, description: 'registry password for the hosts\' pulls' },
  'dry-run': { flag: 'dry-run', type: 'boolean', description: 'preflight and rollout deploy --dry-run on every host; nothing switches' },
  // build-push
  image: { flag: 'image', type: 'string', description: 'image repository to build and push, without tag (e.g. 127.0.0.1:5000/group/app)' },
  tags: { flag: 'tags', type: 'multiline', description: 'extra tags, one a line (sha-<7>, the branch, pr-N are always given)' },
  context: { flag: 'context', type: 'string', description: 'build context folder (default .)' },
  dockerfile: { flag: 'dockerfile', input: 'file', env: 'DELIVERY_DOCKERFILE', type: 'string', description: 'Dockerfile path (default <context>/Dockerfile)' },
  'build-args': { flag: 'build-args', type: 'multiline', description: 'build arguments, KEY=VALUE one a line' },
  push: { flag: 'push', type: 'boolean', description: 'push the image (default true; false only builds)' },
  latest: { flag: 'latest', type: 'boolean', description: 'also tag latest when building the default branch' },
  registry: { flag: 'registry', type: 'string', description: 'registry to log in to (default: the image\'s registry)' },
  // preview
  'pr-number': { flag: 'pr', input: 'pr-number', env: 'DELIVERY_PR', type: 'string', description: 'pull request number (Actions: from the event)' },
  teardown: { flag: 'teardown', type: 'boolean', description: 'remove the preview instead of deploying it (Actions: on pull_request closed)' },
  token: { flag: 'github-token', input: 'token', env: 'DELIVERY_GITHUB_TOKEN', type: 'string', secret: true, description: 'GitHub token for the PR comment and the open-PR check (Actions: github.token)' },
  repository: { flag: 'repository', env: 'DELIVERY_REPOSITORY', type: 'string', description: 'owner/repo for the PR comment (Actions: GITHUB_REPOSITORY)' },
  'cleanup-older-than': { flag: 'cleanup-older-than', type: 'string', description: 'also remove previews of PRs no longer open whose release is older than this (e.g. 0, 12h, 7d)' },
  // lb-config
  format: { flag: 'format', type: 'string', description: 'lb-config output: apache or haproxy' },
  probe: { flag: 'probe', type: 'boolean', description: 'lb-config: ask every host\'s router for the health check URI once; warn about each host not answering 200' },
  // setup
  'deploy-key': { flag: 'deploy-key', type: 'multiline', fileFlag: true, description: 'setup: the public key CI deploys with (CLI: a .pub path; env: the key line)' },
  'admin-user': { flag: 'admin-user', type: 'string', description: 'setup: the SSH user that sets the host up, root or one with NOPASSWD sudo (default root)' },
  'deploy-user': { flag: 'deploy-user', type: 'string', description: 'setup: the user rollout runs as on the host (default deploy)' },
  router: { flag: 'router', type: 'string', description: 'setup: haproxy (default) or traefik' },
  'http-port': { flag: 'http-port', type: 'string', description: 'setup: port the host\'s router listens on (default 80)' },
  'host-config': { flag: 'host-config', type: 'multiline', description: 'setup: extra KEY=VALUE lines for /etc/rollout/config, one a line' },
  'install-docker': { flag: 'install-docker', type: 'boolean', description: 'setup: install Docker and Compose v2 with the host\'s package manager when missing' },
} as const satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof OPTIONS;

/** `ssh-key` → `DELIVERY_SSH_KEY`; `secrets` (flag `--secrets-file`) → `DELIVERY_SECRETS` */
export function envVarOf(spec: OptionSpec): string {
  return spec.env ?? 'DELIVERY_' + inputOf(spec).replace(/-/g, '_').toUpperCase();
}
export function inputOf(spec: OptionSpec): string {
  return spec.input ?? spec.flag;
}
