/**
 * build-push as data: from the inputs and the git context to the exact
 * docker argv (login, build, push). Pure: no process, no network. The
 * adapter (src/adapters/docker.ts) runs these words.
 */
import { ConfigurationError } from './errors';

export interface BuildPushInputs {
  /** Repository without tag, e.g. `127.0.0.1:5000/group/app` or `ghcr.io/org/app`. */
  image: string;
  /** Build context folder (default `.`). */
  context: string;
  /** Dockerfile path; null: docker's default (`<context>/Dockerfile`). */
  file: string | null;
  /** `KEY=VALUE` build arguments. */
  buildArgs: string[];
  /** Extra tags (just the tag part, e.g. `v1.2.3`). */
  tags: string[];
  /** Push after building (default true). */
  push: boolean;
  /** Also tag `latest` when building the default branch. */
  latest: boolean;
  /** Registry to log in to; default: the image's registry. */
  registry: string | null;
  username: string | null;
  password: string | null;
}

/** What the build knows about the commit it builds. */
export interface GitContext {
  sha: string | null;
  /** Branch name (not the ref), e.g. `main` or `feature/x`; null for tags and detached heads. */
  branch: string | null;
  /** Pull request number, when building one. */
  pr: number | null;
  defaultBranch: string | null;
  /** Repository URL for the `org.opencontainers.image.source` label. */
  source: string | null;
}

export interface BuildCommands {
  /** Where the credentials go (`docker login REGISTRY`), or null without credentials. */
  login: string[] | null;
  /** buildx (`docker buildx build … --load`) or plain `docker build …`. */
  build: string[];
  /** One `docker push image:tag` per tag; empty when push is false. */
  push: string[][];
  /** Every `image:tag` built, first one is the commit sha tag. */
  refs: string[];
  /** The registry host of the image (`docker.io` when none). */
  registry: string;
}

const REPO_RE = /^(?:[a-zA-Z0-9.-]+(?::[0-9]{1,5})?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const BUILD_ARG_RE = /^[A-Za-z_][A-Za-z0-9_]*=/;

/** The registry host of an image repository: `127.0.0.1:5000/a/b` → `127.0.0.1:5000`, `alpine` → `docker.io`. */
export function registryOf(image: string): string {
  const slash = image.indexOf('/');
  if (slash < 0) return 'docker.io';
  const first = image.slice(0, slash);
  return /[.:]/.test(first) || first === 'localhost' ? first : 'docker.io';
}

/** A branch name as a docker tag: `feature/Login_x` → `feature-login_x` (lowercase, at most 128 characters). */
export function tagOfBranch(branch: string): string {
  const t = branch
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '-')
    .replace(/^[.-]+/, '')
    .slice(0, 128)
    .replace(/[.-]+$/, '');
  return t;
}

/** Tags from the git context: `sha-<7>`, the branch, `pr-N`, `latest` on the default branch (opt-in), then the extra tags. */
export function tagsFor(inputs: Pick<BuildPushInputs, 'tags' | 'latest'>, git: GitContext): string[] {
  const tags: string[] = [];
  if (git.sha) tags.push(`sha-${git.sha.slice(0, 7)}`);
  if (git.pr !== null) tags.push(`pr-${git.pr}`);
  else if (git.branch) {
    const b = tagOfBranch(git.branch);
    if (b) tags.push(b);
    if (inputs.latest && git.defaultBranch && git.branch === git.defaultBranch) tags.push('latest');
  }
  for (const t of inputs.tags) {
    if (!TAG_RE.test(t)) throw new ConfigurationError(`tags: ${JSON.stringify(t)} is not a valid docker tag (letters, digits, _ . -, at most 128)`);
    tags.push(t);
  }
  const unique = [...new Set(tags)];
  if (!unique.length) {
    throw new ConfigurationError('build-push: no tag to give the image: no commit sha (GITHUB_SHA / GIT_COMMIT) and no tags input');
  }
  return unique;
}

/** OCI labels: source, revision, created. */
export function labelsFor(git: GitContext, created: Date): string[] {
  const labels: string[] = [];
  if (git.source) labels.push(`org.opencontainers.image.source=${git.source}`);
  if (git.sha) labels.push(`org.opencontainers.image.revision=${git.sha}`);
  labels.push(`org.opencontainers.image.created=${created.toISOString()}`);
  return labels;
}

export function validateBuildPush(inputs: BuildPushInputs): void {
  if (!inputs.image) throw new ConfigurationError('image: required (the repository to push to, e.g. 127.0.0.1:5000/group/app)');
  if (/[@]/.test(inputs.image) || /:[^/]*$/.test(inputs.image.slice(inputs.image.indexOf('/') + 1))) {
    throw new ConfigurationError(`image: ${JSON.stringify(inputs.image)} must be a repository without tag or digest; tags come from the commit and the tags input`);
  }
  if (!REPO_RE.test(inputs.image)) {
    throw new ConfigurationError(`image: ${JSON.stringify(inputs.image)} is not a valid repository name (lowercase, e.g. registry.example.org/group/app)`);
  }
  for (const a of inputs.buildArgs) {
    if (!BUILD_ARG_RE.test(a)) throw new ConfigurationError(`build-args: ${JSON.stringify(a.split('=')[0])} must be a KEY=VALUE line`);
  }
  if (!!inputs.username !== !!inputs.password) {
    throw new ConfigurationError('registry-username and registry-password: give both or neither');
  }
}

/**
 * The exact docker commands. The password never appears: login reads it on
 * stdin (`--password-stdin`).
 */
export function buildPushCommands(
  inputs: BuildPushInputs,
  git: GitContext,
  opts: { buildx: boolean; created: Date },
): BuildCommands {
  validateBuildPush(inputs);
  const registry = inputs.registry || registryOf(inputs.image);
  const refs = tagsFor(inputs, git).map((t) => `${inputs.image}:${t}`);
  const build = opts.buildx ? ['docker', 'buildx', 'build'] : ['docker', 'build'];
  if (inputs.file) build.push('--file', inputs.file);
  for (const r of refs) build.push('--tag', r);
  for (const l of labelsFor(git, opts.created)) build.push('--label', l);
  for (const a of inputs.buildArgs) build.push('--build-arg', a);
  // buildx: load into the engine so `docker push` gives the registry's digest
  // for every builder driver; the plain builder always loads.
  if (opts.buildx) build.push('--load', '--provenance=false');
  build.push(inputs.context || '.');
  return {
    login: inputs.username ? ['docker', 'login', registry, '--username', inputs.username, '--password-stdin'] : null,
    build,
    push: inputs.push ? refs.map((r) => ['docker', 'push', r]) : [],
    refs,
    registry,
  };
}

/** The manifest digest from `docker push` output (`latest: digest: sha256:… size: 528`). */
export function digestFromPushOutput(output: string): string | null {
  const m = /digest: (sha256:[0-9a-f]{64})/.exec(output);
  return m ? m[1] : null;
}

/**
 * The git context from the CI's environment: GitHub Actions (GITHUB_* and the
 * event payload) or Jenkins (GIT_COMMIT, BRANCH_NAME, CHANGE_ID, GIT_URL).
 */
export function gitContextFromEnv(env: NodeJS.ProcessEnv, event: Record<string, unknown> | null): GitContext {
  const ev = (event ?? {}) as {
    pull_request?: { number?: number; head?: { sha?: string; ref?: string } };
    repository?: { default_branch?: string; html_url?: string };
    number?: number;
  };
  if (env.GITHUB_ACTIONS === 'true' || env.GITHUB_SHA) {
    const pr = ev.pull_request?.number ?? null;
    const ref = env.GITHUB_REF ?? '';
    const branch = pr !== null ? (env.GITHUB_HEAD_REF || null) : ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : null;
    const source =
      ev.repository?.html_url ?? (env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}` : null);
    return {
      // A pull_request run's GITHUB_SHA is the merge commit; label the head that was pushed.
      sha: ev.pull_request?.head?.sha ?? env.GITHUB_SHA ?? null,
      branch,
      pr,
      defaultBranch: ev.repository?.default_branch ?? null,
      source,
    };
  }
  const change = env.CHANGE_ID && /^[0-9]+$/.test(env.CHANGE_ID) ? Number(env.CHANGE_ID) : null;
  const branch = change !== null ? (env.CHANGE_BRANCH ?? null) : (env.BRANCH_NAME ?? env.GIT_BRANCH?.replace(/^origin\//, '') ?? null);
  return {
    sha: env.GIT_COMMIT ?? env.DELIVERY_GIT_SHA ?? null,
    branch: branch || null,
    pr: change,
    defaultBranch: env.DELIVERY_DEFAULT_BRANCH ?? 'main',
    source: env.GIT_URL ? env.GIT_URL.replace(/\.git$/, '') : null,
  };
}
