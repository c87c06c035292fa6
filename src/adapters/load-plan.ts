import { randomBytes } from 'node:crypto';
import { readFile, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { MAX_BUNDLE_BYTES, appPathProblem, buildBundle, type BundleFile } from '../core/bundle';
import { checkCompose, extendsFilesNeeded, parsePinnedImages, type ComposeFile, type ComposeReference } from '../core/compose';
import type { Deliveryfile } from '../core/deliveryfile';
import { environmentOf, fileSshOf } from '../core/deliveryfile-peek';
import { ConfigurationError } from '../core/errors';
import type { Logger } from '../core/logger';
import { plan } from '../core/plan';
import { checkSecrets, createdTime, dockerConfigOf, manifestOf, parseSecrets, previewApplication, previewUrl, releaseOf, routeOf } from '../core/release-inputs';
import type { HostSpec, OnFailure, Plan, SshSettings } from '../core/types';
import { MAX_YAML_BYTES, YamlSource } from '../core/yaml-source';
import { resolveHosts, type FetchOptions } from './cluster-source';
import { loadDeliveryfile, loadFleetSource } from './deliveryfile-source';
import { detectGit } from './git';

/**
 * loadPlan: Deliveryfile path + environment + options → Plan.
 *
 * The one loader the CLI (`delivery plan`, `deploy`), the fleet executor and
 * the actions call. It reads the Deliveryfile, resolves the environment's
 * cluster (fetching https:// URLs, the only network access), reads and
 * checks the compose and env files, builds the bundle in memory and plans
 * the batches (the pure steps are in src/core/release-inputs.ts). Warnings
 * are logged with `logger.warn` and also returned in
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
  /**
   * Called once hosts from cluster files are resolved, before the compose
   * files are read and the bundle is built (the deploy opens its first
   * connections here, so the SSH handshakes overlap the build); not called
   * for a cluster URL, fetched after the checks. It must not throw; the plan
   * does not wait for what it starts.
   */
  onHosts?: (hosts: HostSpec[], ssh: { user: string; jumpHost: string | null }) => void;
}

export { loadDeliveryfile };

export { previewApplication, previewUrl };

/** Files shipped besides the listed ones: at most this many. */
export const MAX_REFERENCED_FILES = 1000;

/** `full` with every link followed, when it stays inside `root` (both real paths); else an error message. */
async function inside(root: string, full: string, shown: string): Promise<string> {
  const real = await realpath(full);
  if (real !== root && !real.startsWith(root + path.sep)) {
    throw new ConfigurationError(`${shown} resolves to ${real}, outside the Deliveryfile's folder ${root}; refused like "../" (copy the file into the folder)`);
  }
  return real;
}

async function readListed(df: Deliveryfile, root: string, env: string, key: 'files' | 'env_files', list: string[], maxBytes: number): Promise<BundleFile[]> {
  const out: BundleFile[] = [];
  for (let i = 0; i < list.length; i++) {
    const rel = list[i];
    try {
      const real = await inside(root, path.join(root, rel), rel);
      const st = await stat(real);
      if (!st.isFile()) throw Object.assign(new Error(), { code: 'EISDIR' });
      if (key === 'files' && st.size > MAX_YAML_BYTES) {
        throw new ConfigurationError(`compose file ${rel} is ${(st.size / 1024 / 1024).toFixed(1)} MiB, over the limit of ${MAX_YAML_BYTES / 1024 / 1024} MiB; refused before reading`);
      }
      if (st.size > maxBytes) throw new ConfigurationError(`${rel} is ${(st.size / 1024 / 1024).toFixed(1)} MiB, over the bundle limit of ${(maxBytes / 1024 / 1024).toFixed(1)} MiB; refused before reading`);
      out.push({ path: rel, content: await readFile(real) });
    } catch (err) {
      if (err instanceof ConfigurationError) throw df.source.error(['environments', env, key, i], err.message);
      const code = (err as NodeJS.ErrnoException).code;
      throw df.source.error(['environments', env, key, i], code === 'ENOENT' ? `file not found: ${rel}` : `cannot read ${rel} (${code ?? err})`);
    }
  }
  return out;
}

/** The compose files and the files their `extends: {file:}` name, read until none is missing. */
async function readCompose(root: string, composeFiles: BundleFile[], displayDir: string): Promise<{ compose: ComposeFile[]; extended: Map<string, YamlSource> }> {
  const compose: ComposeFile[] = composeFiles.map((f) => ({
    path: f.path,
    source: new YamlSource(path.join(displayDir, f.path), f.content.toString('utf8'), { what: 'the compose file', composeTags: true }),
  }));
  const projectDir = path.posix.dirname(composeFiles[0]?.path ?? '.');
  const extended = new Map<string, YamlSource>();
  for (let round = 0; round < 50; round++) {
    const missing = extendsFilesNeeded(compose, extended);
    if (missing.size === 0) return { compose, extended };
    for (const [p, where] of missing) {
      const local = path.posix.normalize(path.posix.join(projectDir, p));
      if (local.startsWith('../')) throw new ConfigurationError(`${where}: ${p} is outside the Deliveryfile's folder; the bundle ships only files inside it`);
      try {
        const real = await inside(root, path.join(root, local), `${where}: ${p}`);
        const st = await stat(real);
        if (!st.isFile()) throw Object.assign(new Error(), { code: 'EISDIR' });
        if (st.size > MAX_YAML_BYTES) throw new ConfigurationError(`${where}: ${p} is over the limit of ${MAX_YAML_BYTES / 1024 / 1024} MiB; refused before reading`);
        extended.set(p, new YamlSource(path.join(displayDir, local), await readFile(real, 'utf8'), { what: 'the compose file', composeTags: true }));
      } catch (err) {
        if (err instanceof ConfigurationError) throw err;
        const code = (err as NodeJS.ErrnoException).code;
        throw new ConfigurationError(`${where}: ${code === 'ENOENT' ? `file not found: ${local}` : `cannot read ${local} (${code ?? err})`}`);
      }
    }
  }
  throw new ConfigurationError('extends: more than 50 rounds of files naming files; refused');
}

/**
 * The files the compose files reference, read from the Deliveryfile's
 * folder: regular files (links followed when they stay inside), folders
 * walked; bounded in count and size. A writable folder mount is refused:
 * each release has a folder of its own, so its data would start empty on
 * every deploy.
 */
async function readReferences(root: string, refs: readonly ComposeReference[], listed: readonly BundleFile[], maxBytes: number): Promise<{ files: BundleFile[]; shipped: string[] }> {
  const files: BundleFile[] = [];
  const shipped: string[] = [];
  const taken = new Map(listed.map((f) => [f.path, f.path]));
  let bytes = listed.reduce((n, f) => n + f.content.length, 0);
  const add = async (bundlePath: string, local: string, real: string, size: number, where: string) => {
    const problem = appPathProblem(bundlePath);
    if (problem) throw new ConfigurationError(`${where}: cannot ship ${local}: its path ${problem}`);
    const prev = taken.get(bundlePath);
    if (prev !== undefined) {
      if (prev === local) return;
      throw new ConfigurationError(`${where}: ${local} would land at app/${bundlePath}, where ${prev} already is`);
    }
    if (files.length >= MAX_REFERENCED_FILES) throw new ConfigurationError(`${where}: more than ${MAX_REFERENCED_FILES} files to ship besides the compose files; bake them into the image`);
    bytes += size;
    if (bytes > maxBytes) throw new ConfigurationError(`${where}: the files to ship add up to more than ${(maxBytes / 1024 / 1024).toFixed(1)} MiB (the bundle limit); bake big files into the image`);
    taken.set(bundlePath, local);
    files.push({ path: bundlePath, content: await readFile(real) });
  };
  for (const ref of refs) {
    const full = path.join(root, ref.local);
    let real: string;
    try {
      real = await inside(root, full, `${ref.where}: ${ref.local}`);
    } catch (err) {
      if (err instanceof ConfigurationError) throw err;
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new ConfigurationError(`${ref.where}: cannot read ${ref.local} (${(err as NodeJS.ErrnoException).code ?? err})`);
      if (ref.kind === 'dotenv' || (ref.kind === 'env_file' && ref.optional)) continue;
      if (ref.kind === 'bind') {
        throw new ConfigurationError(
          `${ref.where}: ./${ref.local} does not exist; on the host compose would create an empty folder inside the release, new on every deploy; for data use a named volume (or a host data folder), for files to mount create them next to the compose file`,
        );
      }
      throw new ConfigurationError(`${ref.where}: file not found: ${ref.local}`);
    }
    const st = await stat(real);
    if (st.isFile()) {
      await add(ref.path, ref.local, real, st.size, ref.where);
      shipped.push(ref.path);
      continue;
    }
    if (!st.isDirectory() || ref.kind !== 'bind') throw new ConfigurationError(`${ref.where}: ${ref.local} is not a regular file`);
    if (!ref.readOnly) {
      throw new ConfigurationError(
        `${ref.where}: ./${ref.local} is a writable folder mount; it is shipped inside the release, and each release has a folder of its own, so what the app writes there is gone on the next deploy; for data use a named volume (or a host data folder), for files the app only reads add ":ro"`,
      );
    }
    let count = 0;
    const walk = async (dirReal: string, bundleDir: string, localDir: string, depth: number) => {
      if (depth > 20) throw new ConfigurationError(`${ref.where}: ./${localDir} is nested more than 20 folders deep; refused`);
      const entries = (await readdir(dirReal, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
      for (const e of entries) {
        const l = `${localDir}/${e.name}`;
        const r = await inside(root, path.join(dirReal, e.name), `${ref.where}: ${l}`);
        const est = await stat(r);
        if (est.isDirectory()) await walk(r, `${bundleDir}/${e.name}`, l, depth + 1);
        else if (est.isFile()) {
          await add(`${bundleDir}/${e.name}`, l, r, est.size, ref.where);
          count++;
        } else throw new ConfigurationError(`${ref.where}: ${l} is not a regular file or folder; refused`);
      }
    };
    await walk(real, ref.path, ref.local, 0);
    shipped.push(`${ref.path}/ (${count} file${count === 1 ? '' : 's'})`);
  }
  return { files, shipped };
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

export async function loadPlan(o: LoadPlanOptions): Promise<Plan> {
  const { logger } = o;
  const penv = o.processEnv ?? process.env;
  for (const s of [o.clusterToken, o.registryPassword]) if (s) logger.secret(s);
  const baseDir = path.dirname(path.resolve(o.file));
  // Hosts from cluster files only: resolved before the Deliveryfile's
  // validation (onHosts opens their connections while zod checks it) and
  // awaited where the plan needs them, so errors keep their order. A cluster
  // URL is fetched where it was, after the checks: a bad compose file must
  // not wait for a fetch and its retries.
  const resolveOpts = () => ({ ...fetchOptionsFromEnv(penv), ...o.fetch, token: o.clusterToken, logger, baseDir });
  const withOverrides = (s: SshSettings) => ({ user: o.sshUser ?? s.user, jumpHost: o.jumpHost ?? s.jumpHost });
  const { df, early } = await loadFleetSource(o.file, o.env, resolveOpts, (h, s) => o.onHosts?.(h, withOverrides(s)));
  const env = environmentOf(df, o.env);
  // git runs beside the reading and checking below (two processes: ~20 ms
  // when waited for in turn), started after the hosts' connections
  const gitDetected = o.gitSha === undefined ? detectGit(baseDir, penv) : null;
  const root = await realpath(baseDir);
  const application = o.preview ? previewApplication(df.data.application, o.preview.number) : df.data.application;
  const route = routeOf(df, o.preview);
  const maxBytes = o.maxBundleBytes ?? MAX_BUNDLE_BYTES;
  const ssh = withOverrides(fileSshOf(df));
  const resolveNow = () => resolveHosts(df, o.env, resolveOpts());

  // Secrets: only the names the environment lists.
  const secretValues = parseSecrets(o.secrets);
  for (const v of Object.values(secretValues)) logger.secret(v);
  checkSecrets(df, o.env, env, secretValues);

  // Compose and env files, the files extends: names, then what they reference.
  const composeFiles = await readListed(df, root, o.env, 'files', env.files, maxBytes);
  const envFiles = await readListed(df, root, o.env, 'env_files', env.env_files, maxBytes);
  const { compose, extended } = await readCompose(root, composeFiles, path.dirname(o.file));
  const check = checkCompose(compose, {
    route,
    router: df.router,
    repositories: df.data.images,
    pinned: parsePinnedImages(o.images),
    deliveryfile: df.source,
    extended,
  });
  const referenced = await readReferences(root, check.references, [...composeFiles, ...envFiles], maxBytes);

  // Registry credentials for the hosts.
  const docker = dockerConfigOf(df, o.registryUsername, o.registryPassword);
  if (docker) logger.secret(docker.auth);

  // Time, git, release.
  const created = createdTime(penv, o.now ?? new Date());
  const git = gitDetected ? await gitDetected : { sha: o.gitSha ?? null, ref: o.gitRef ?? null };
  if (o.gitRef !== undefined) git.ref = o.gitRef;
  const release = releaseOf(o.release, created, git.sha, randomBytes(4).toString('hex'));

  const manifest = manifestOf({
    df,
    env,
    envName: o.env,
    application,
    release,
    created,
    git: { sha: git.sha ?? null, ref: git.ref ?? null },
    services: check.services,
    images: check.images,
    route,
    files: referenced.files.map((f) => f.path),
  });
  const bundle = buildBundle({
    manifest,
    files: [...composeFiles, ...envFiles, ...referenced.files],
    secrets: secretValues,
    dockerConfig: docker?.json ?? null,
    loggingSet: check.loggingSet,
    healthcheckSet: check.healthcheckSet,
    time: created,
    maxBytes,
  });

  for (const n of check.notes) logger.info(`note: ${n}`);
  if (referenced.shipped.length) logger.info(`shipping what the compose files reference (under app/): ${referenced.shipped.join(', ')}`);
  const hosts = await (early ?? resolveNow());
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
    ssh,
    hosts,
    bundle,
    deadline: o.deadline,
    dryRun: o.dryRun,
    warnings: check.warnings,
  });
  return result;
}
