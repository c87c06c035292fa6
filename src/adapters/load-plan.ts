import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { buildBundle, type BundleFile } from '../core/bundle';
import { checkCompose, parsePinnedImages, type ComposeFile } from '../core/compose';
import { environmentOf, parseDeliveryfile, type Deliveryfile } from '../core/deliveryfile';
import { parseDotenv } from '../core/dotenv';
import { ConfigurationError } from '../core/errors';
import type { Logger } from '../core/logger';
import { applicationProblem } from '../core/names';
import { plan } from '../core/plan';
import { makeReleaseId, releaseIdProblem, sourceDateEpoch } from '../core/release';
import type { Manifest, OnFailure, Plan, Route } from '../core/types';
import { YamlSource } from '../core/yaml-source';
import { resolveHosts, type FetchOptions } from './cluster-source';
import { detectGit } from './git';

/**
 * loadPlan: Deliveryfile path + environment + options → Plan.
 *
 * The one loader the CLI (`delivery plan`, `deploy`), the fleet executor and
 * the actions call. It reads the Deliveryfile, resolves the environment's
 * cluster (fetching https:// URLs, the only network access), reads and
 * checks the compose and env files, builds the bundle in memory and plans
 * the batches. Warnings are logged with `logger.warn` and also returned in
 * `plan.warnings`. Secret values (app secrets, registry password, cluster
 * token) are registered with `logger.secret` before anything is logged.
 *
 * Errors: ConfigurationError (exit 2) for anything the user can fix, with
 * `FILE:LINE:COL field.path: …` when it comes from a file.
 *
 *     const plan = await loadPlan({ file: 'Deliveryfile', env: 'qa', logger });
 *
 * Keep this signature stable: new options are added as optional fields.
 */
export interface LoadPlanOptions {
  /** Path of the Deliveryfile (relative to the working directory). */
  file: string;
  /** Environment name in the Deliveryfile (qa, prod, …). */
  env: string;
  logger: Logger;
  /** Release id; default `YYYYMMDDTHHMMSSZ-<sha7>` from the created time and the git sha. */
  release?: string;
  /** Pinned images, one a line: `repo@sha256:…` or `service=repo@sha256:…` (the build step's digests). */
  images?: string;
  /** App secrets: dotenv text (`NAME=value` lines) or a map; only the names the environment lists are shipped. */
  secrets?: string | Record<string, string>;
  /** Registry credentials for the hosts' pulls (docker-config.json in the bundle). */
  registryUsername?: string;
  registryPassword?: string;
  /** Bearer token for https:// cluster URLs. */
  clusterToken?: string;
  /** Commit being deployed; undefined: detected (GITHUB_SHA, GIT_COMMIT, git rev-parse); null: none. */
  gitSha?: string | null;
  gitRef?: string | null;
  /** Overrides of the Deliveryfile's deployment and ssh settings (CLI flags, action inputs). */
  concurrency?: number;
  onFailure?: OnFailure;
  sshUser?: string;
  jumpHost?: string;
  /** Seconds each host may take (`rollout deploy --deadline`). */
  deadline?: number;
  /** Plan `rollout deploy --dry-run` on every host. */
  dryRun?: boolean;
  /** Preview of pull request N: app `group/app-pr-N`, route from the Deliveryfile's preview template. */
  preview?: { number: number };
  /** Environment for SOURCE_DATE_EPOCH and git detection (default process.env). */
  processEnv?: NodeJS.ProcessEnv;
  /** The created time when SOURCE_DATE_EPOCH is unset (default now). */
  now?: Date;
  /** Cluster URL timeouts and retries (the token comes from `clusterToken`). */
  fetch?: Omit<FetchOptions, 'token' | 'logger'>;
  /** Bundle size cap in bytes (default MAX_BUNDLE_BYTES). */
  maxBundleBytes?: number;
}

/** Reads and validates a Deliveryfile. */
export async function loadDeliveryfile(file: string): Promise<Deliveryfile> {
  let text: string;
  try {
    if (!(await stat(file)).isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigurationError(
      code === 'ENOENT' ? `${file}: no such file; give the Deliveryfile with --file PATH (or DELIVERY_FILE)` : `${file}: cannot read the Deliveryfile (${code ?? err})`,
    );
  }
  return parseDeliveryfile(text, file);
}

/** `group/app-pr-N` for a preview. */
export function previewApplication(application: string, n: number): string {
  if (!Number.isInteger(n) || n < 1) throw new ConfigurationError(`preview: the pull request number must be a positive whole number, got ${n}`);
  const name = `${application}-pr-${n}`;
  const problem = applicationProblem(name);
  if (problem) throw new ConfigurationError(`preview application ${name}: ${problem}; shorten the app name`);
  return name;
}

/** The URL people open for preview N (the template's {number} filled), or null. */
export function previewUrl(df: Deliveryfile, n: number): string | null {
  const t = df.data.preview?.url;
  return t ? t.split('{number}').join(String(n)) : null;
}

function routeOf(df: Deliveryfile, preview?: { number: number }): Route | null {
  const r = df.data.route;
  if (!preview) return r ? { service: r.service, port: r.port, path: r.path ?? null, host: r.host ?? null, strip_prefix: r.strip_prefix } : null;
  const t = df.data.preview?.route;
  if (!t) throw df.source.error(['preview'], 'missing: a preview needs "preview: {route: {path: /pr-{number}/}}" so it gets a route of its own');
  if (!r) throw df.source.error([], 'missing key "route": a preview reuses its service and port');
  const fill = (s: string | undefined) => (s === undefined ? null : s.split('{number}').join(String(preview.number)));
  return { service: r.service, port: r.port, path: fill(t.path), host: fill(t.host), strip_prefix: r.strip_prefix };
}

async function readListed(df: Deliveryfile, baseDir: string, env: string, key: 'files' | 'env_files', list: string[]): Promise<BundleFile[]> {
  const out: BundleFile[] = [];
  for (let i = 0; i < list.length; i++) {
    const rel = list[i];
    try {
      const full = path.join(baseDir, rel);
      if (!(await stat(full)).isFile()) throw Object.assign(new Error(), { code: 'EISDIR' });
      out.push({ path: rel, content: await readFile(full) });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw df.source.error(['environments', env, key, i], code === 'ENOENT' ? `file not found: ${rel}` : `cannot read ${rel} (${code ?? err})`);
    }
  }
  return out;
}

/**
 * Cluster URL knobs from the environment: DELIVERY_CLUSTER_TIMEOUT (seconds
 * for the connection and again for the response, default 10 and 15) and
 * DELIVERY_CLUSTER_RETRIES (default 3).
 */
export function fetchOptionsFromEnv(penv: NodeJS.ProcessEnv): Omit<FetchOptions, 'token' | 'logger'> {
  const out: Omit<FetchOptions, 'token' | 'logger'> = {};
  const t = penv.DELIVERY_CLUSTER_TIMEOUT;
  if (t !== undefined && t !== '') {
    if (!/^\d{1,4}(\.\d{1,3})?$/.test(t) || Number(t) <= 0) throw new ConfigurationError(`DELIVERY_CLUSTER_TIMEOUT: expected seconds (e.g. 10), got ${JSON.stringify(t)}`);
    out.connectTimeoutMs = out.readTimeoutMs = Math.round(Number(t) * 1000);
  }
  const r = penv.DELIVERY_CLUSTER_RETRIES;
  if (r !== undefined && r !== '') {
    if (!/^\d{1,2}$/.test(r)) throw new ConfigurationError(`DELIVERY_CLUSTER_RETRIES: expected a whole number (e.g. 3), got ${JSON.stringify(r)}`);
    out.retries = Number(r);
  }
  return out;
}

const TRAEFIK_V1 = new WeakMap<Plan, string[]>();

/**
 * The Traefik v1 labels found in the plan's compose files, as error lines
 * with their v3 equivalent. With `router: traefik` loadPlan already refused
 * them; with no router in the Deliveryfile they are warnings, and preflight
 * should refuse the deploy on a host that reports Traefik:
 *
 *     if (hostRouter === 'traefik' && traefikV1Errors(plan).length) refuse(traefikV1Errors(plan)[0])
 */
export function traefikV1Errors(plan: Plan): string[] {
  return TRAEFIK_V1.get(plan) ?? [];
}

export async function loadPlan(o: LoadPlanOptions): Promise<Plan> {
  const { logger } = o;
  const penv = o.processEnv ?? process.env;
  for (const s of [o.clusterToken, o.registryPassword]) if (s) logger.secret(s);
  const df = await loadDeliveryfile(o.file);
  const env = environmentOf(df, o.env);
  const baseDir = path.dirname(path.resolve(o.file));
  const application = o.preview ? previewApplication(df.data.application, o.preview.number) : df.data.application;
  const route = routeOf(df, o.preview);

  // Secrets: only the names the environment lists.
  let secretValues: Record<string, string> = {};
  if (typeof o.secrets === 'string') secretValues = parseDotenv(o.secrets, 'secrets');
  else if (o.secrets) secretValues = Object.assign(Object.create(null), o.secrets);
  for (const v of Object.values(secretValues)) logger.secret(v);
  env.secrets.forEach((name, i) => {
    if (!Object.hasOwn(secretValues, name)) {
      throw df.source.error(['environments', o.env, 'secrets', i], `no value for secret ${name}: give it as ${name}=… in the secrets input (--secrets-file PATH or DELIVERY_SECRETS)`);
    }
  });

  // Compose and env files.
  const composeFiles = await readListed(df, baseDir, o.env, 'files', env.files);
  const envFiles = await readListed(df, baseDir, o.env, 'env_files', env.env_files);
  const compose: ComposeFile[] = composeFiles.map((f) => ({ path: f.path, source: new YamlSource(path.join(path.dirname(o.file), f.path), f.content.toString('utf8')) }));
  const check = checkCompose(compose, {
    route,
    router: df.router,
    repositories: df.data.images,
    pinned: parsePinnedImages(o.images),
    deliveryfile: df.source,
    shipped: [...env.files, ...env.env_files],
  });

  // Registry credentials for the hosts.
  let dockerConfig: string | null = null;
  if (o.registryUsername || o.registryPassword) {
    if (!o.registryUsername || !o.registryPassword) throw new ConfigurationError('registry credentials: give both registry-username and registry-password');
    if (!df.data.registry) throw df.source.error([], 'missing key "registry": registry credentials were given, so the Deliveryfile must name the registry host they are for');
    const auth = Buffer.from(`${o.registryUsername}:${o.registryPassword}`).toString('base64');
    logger.secret(auth);
    dockerConfig = JSON.stringify({ auths: { [df.data.registry]: { auth } } }, null, 2) + '\n';
  }

  // Time, git, release.
  let created: Date;
  try {
    created = sourceDateEpoch(penv) ?? o.now ?? new Date();
  } catch (err) {
    throw new ConfigurationError((err as Error).message);
  }
  const git = o.gitSha === undefined ? detectGit(baseDir, penv) : { sha: o.gitSha, ref: o.gitRef ?? null };
  if (o.gitRef !== undefined) git.ref = o.gitRef;
  let release = o.release;
  if (release !== undefined) {
    const problem = releaseIdProblem(release);
    if (problem) throw new ConfigurationError(`--release: ${problem}`);
  } else {
    release = makeReleaseId(created, git.sha, randomBytes(4).toString('hex'));
  }

  const manifest: Manifest = {
    schema: 1,
    application,
    environment: o.env,
    release,
    created: created.toISOString(),
    git: { sha: git.sha ?? null, ref: git.ref ?? null },
    compose_files: env.files,
    env_files: env.env_files,
    services: check.services,
    images: check.images,
    route,
    health: { timeout: df.data.health.timeout ?? null, stable: df.data.health.stable ?? null, path: df.data.health.path ?? null },
    keep: df.data.keep ?? null,
    router: df.router,
    secrets: env.secrets,
    registry: df.data.registry ?? null,
    ...(df.data.rollback_window !== undefined ? { rollback_window: df.data.rollback_window } : {}),
  };
  const bundle = buildBundle({
    manifest,
    files: [...composeFiles, ...envFiles],
    secrets: secretValues,
    dockerConfig,
    loggingSet: check.loggingSet,
    healthcheckSet: check.healthcheckSet,
    time: created,
    maxBytes: o.maxBundleBytes,
  });

  const hosts = await resolveHosts(df, o.env, { ...fetchOptionsFromEnv(penv), ...o.fetch, token: o.clusterToken, logger, baseDir });
  for (const w of check.warnings) logger.warn(w);
  const result = plan({
    application,
    environment: o.env,
    release,
    mode: df.mode,
    concurrency: o.concurrency ?? df.concurrency,
    batch: df.batch,
    canary: df.canary,
    onFailure: o.onFailure ?? df.onFailure,
    router: df.router,
    ssh: { user: o.sshUser ?? df.data.ssh.user, jumpHost: o.jumpHost ?? df.data.ssh.jump_host ?? null },
    hosts,
    bundle,
    deadline: o.deadline,
    dryRun: o.dryRun,
    warnings: check.warnings,
  });
  TRAEFIK_V1.set(
    result,
    check.traefikV1.map((t) => `${t.where}: ${t.label} is a Traefik v1 label and this host runs Traefik v3, which ignores it (the app would only get the teapot's 418). Traefik v3: ${t.v3}`),
  );
  return result;
}
