import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
// tar's header and pax modules only: its index (100 kB, minified) is the
// whole archiver, evaluated before the first byte reaches a host.
import { Header } from 'tar/header';
import { Pax } from 'tar/pax';
import { ConfigurationError } from './errors';
import { isReleaseId, isSecretName, isServiceName } from './names';
import type { Bundle, Manifest } from './types';

/**
 * The bundle `deploy` reads on stdin (docs/protocol.md, "The bundle"): a
 * gzipped tar of manifest.json, rollout.env, app/<path>, secrets/<NAME>
 * (0600) and an optional docker-config.json (0600).
 *
 * Reproducible: the same inputs give the same bytes. Entries are sorted,
 * owned by uid/gid 0 with empty user/group names, carry `time` as mtime
 * (the caller passes SOURCE_DATE_EPOCH when set) and nothing else from the
 * machine; the gzip header has no name and mtime 0. Only regular files and
 * folders are written.
 */

/** Bundles bigger than this (uncompressed) are refused here and on the host. */
export const MAX_BUNDLE_BYTES = 16 * 1024 * 1024;

/** A path under app/: relative, `[A-Za-z0-9._/-]+`, no empty, `.` or `..` parts. */
export function appPathProblem(p: string): string | null {
  if (!/^[A-Za-z0-9._/-]+$/.test(p)) return 'expected only letters, digits, ".", "_", "-" and "/"';
  if (p.startsWith('/')) return 'expected a relative path';
  if (p.length > 200) return 'expected a path of at most 200 characters';
  for (const part of p.split('/')) {
    if (part === '' || part === '.' || part === '..') return 'expected no empty, "." or ".." parts';
  }
  return null;
}

export interface BundleFile {
  /** Path relative to the Deliveryfile's folder; lands at app/<path>. */
  path: string;
  content: string | Buffer;
}

export interface BundleInput {
  manifest: Manifest;
  /** Compose files and env files. */
  files: readonly BundleFile[];
  /** Secret values by name (names listed in manifest.secrets). */
  secrets?: Readonly<Record<string, string | Buffer>>;
  /** docker-config.json text ({"auths":{…}}), or null. */
  dockerConfig?: string | null;
  /** Services that set `logging:` / `healthcheck:` themselves (rollout.env). */
  loggingSet?: readonly string[];
  healthcheckSet?: readonly string[];
  /** mtime of every entry (SOURCE_DATE_EPOCH, else the manifest's created time). */
  time: Date;
  maxBytes?: number;
}

interface Entry {
  path: string;
  mode: number;
  body: Buffer | null; // null: a folder
}

function block(h: Header | Pax): Buffer {
  if (h instanceof Pax) return h.encode();
  const b = Buffer.alloc(512);
  h.encode(b, 0);
  return b;
}

/** A ustar (pax when a path is long) archive of `entries`, in the order given. */
function tarOf(entries: readonly Entry[], mtime: Date): Buffer {
  const chunks: Buffer[] = [];
  for (const e of entries) {
    const data = {
      path: e.path,
      mode: e.mode,
      uid: 0,
      gid: 0,
      uname: '',
      gname: '',
      size: e.body ? e.body.length : 0,
      mtime,
      type: (e.body ? 'File' : 'Directory') as 'File' | 'Directory',
    };
    const h = new Header(data);
    const probe = Buffer.alloc(512);
    h.encode(probe, 0);
    if (h.needPax) chunks.push(block(new Pax({ path: e.path, mtime, size: data.size, uid: 0, gid: 0, mode: e.mode })));
    chunks.push(probe);
    if (e.body && e.body.length) {
      chunks.push(e.body);
      const pad = (512 - (e.body.length % 512)) % 512;
      if (pad) chunks.push(Buffer.alloc(pad));
    }
  }
  chunks.push(Buffer.alloc(1024));
  return Buffer.concat(chunks);
}

const ENV_PATTERNS: Record<string, RegExp> = {
  SCHEMA: /^1$/,
  APPLICATION: /^[a-z0-9][a-z0-9-]{0,62}\/[a-z0-9][a-z0-9-]{0,62}$/,
  RELEASE: /^[0-9A-Za-z._-]{1,64}$/,
  COMPOSE_FILES: /^[A-Za-z0-9._/-]+( [A-Za-z0-9._/-]+)*$/,
  ENV_FILES: /^([A-Za-z0-9._/-]+( [A-Za-z0-9._/-]+)*)?$/,
  SERVICES: /^[a-zA-Z0-9._-]+( [a-zA-Z0-9._-]+)*$/,
  LOGGING_SET: /^([a-zA-Z0-9._-]+( [a-zA-Z0-9._-]+)*)?$/,
  HEALTHCHECK_SET: /^([a-zA-Z0-9._-]+( [a-zA-Z0-9._-]+)*)?$/,
  IMAGES: /^([a-zA-Z0-9._-]+=[A-Za-z0-9._/:@-]+( [a-zA-Z0-9._-]+=[A-Za-z0-9._/:@-]+)*)?$/,
  ROUTE_SERVICE: /^([a-zA-Z0-9._-]+)?$/,
  ROUTE_PORT: /^([0-9]{1,5})?$/,
  ROUTE_PATH: /^(\/[A-Za-z0-9._~/-]*)?$/,
  ROUTE_HOST: /^([A-Za-z0-9.-]+)?$/,
  ROUTE_STRIP_PREFIX: /^[01]$/,
  HEALTH_TIMEOUT: /^[0-9]{0,6}$/,
  HEALTH_STABLE: /^[0-9]{0,6}$/,
  HEALTH_PATH: /^(\/[A-Za-z0-9._~/?=&%-]*)?$/,
  KEEP: /^[0-9]{0,3}$/,
  ROUTER: /^(traefik|haproxy)?$/,
  SECRETS: /^([A-Za-z0-9_.-]+( [A-Za-z0-9_.-]+)*)?$/,
  ENVIRONMENT: /^[A-Za-z0-9._-]{0,64}$/,
  REGISTRY: /^[A-Za-z0-9._:-]{0,253}$/,
  GIT_SHA: /^[0-9a-fA-F]{0,64}$/,
  ROLLBACK_WINDOW: /^[0-9]{1,6}$/,
};

/** rollout.env: the manifest's facts as KEY=VALUE lines, each checked against its pattern. */
export function rolloutEnv(m: Manifest, loggingSet: readonly string[] = [], healthcheckSet: readonly string[] = []): string {
  const values: Record<string, string> = {
    SCHEMA: String(m.schema),
    APPLICATION: m.application,
    RELEASE: m.release,
    COMPOSE_FILES: m.compose_files.join(' '),
    ENV_FILES: m.env_files.join(' '),
    SERVICES: m.services.join(' '),
    LOGGING_SET: loggingSet.join(' '),
    HEALTHCHECK_SET: healthcheckSet.join(' '),
    IMAGES: Object.entries(m.images)
      .map(([s, r]) => `${s}=${r}`)
      .join(' '),
    ROUTE_SERVICE: m.route?.service ?? '',
    ROUTE_PORT: m.route ? String(m.route.port) : '',
    ROUTE_PATH: m.route?.path ?? '',
    ROUTE_HOST: m.route?.host ?? '',
    ROUTE_STRIP_PREFIX: m.route?.strip_prefix ? '1' : '0',
    HEALTH_TIMEOUT: String(m.health.timeout ?? ''),
    HEALTH_STABLE: String(m.health.stable ?? ''),
    HEALTH_PATH: m.health.path ?? '',
    KEEP: String(m.keep ?? ''),
    ROUTER: m.router ?? '',
    SECRETS: m.secrets.join(' '),
    ENVIRONMENT: m.environment,
    REGISTRY: m.registry ?? '',
    GIT_SHA: m.git.sha ?? '',
  };
  // Only when the Deliveryfile sets it: unset means the host's default.
  if (m.rollback_window !== undefined && m.rollback_window !== null) values.ROLLBACK_WINDOW = String(m.rollback_window);
  return (
    Object.entries(values)
      .map(([k, v]) => {
        if (!ENV_PATTERNS[k].test(v)) throw new ConfigurationError(`bundle: ${k} ${JSON.stringify(v)} does not match ${ENV_PATTERNS[k].source} (docs/protocol.md, rollout.env)`);
        return `${k}=${v}`;
      })
      .join('\n') + '\n'
  );
}

function checkManifest(m: Manifest) {
  if (!isReleaseId(m.release)) throw new ConfigurationError(`release id ${JSON.stringify(m.release)} must match [0-9A-Za-z._-]{1,64} and not start with "."`);
  for (const s of m.services) if (!isServiceName(s)) throw new ConfigurationError(`bundle: invalid service name ${JSON.stringify(s)}`);
  for (const s of m.secrets) if (!isSecretName(s)) throw new ConfigurationError(`bundle: invalid secret name ${JSON.stringify(s)}: expected [A-Za-z0-9_.-]+`);
}

function mib(n: number): string {
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** Builds the bundle; throws a ConfigurationError for unsafe names, missing secrets or oversize input. */
export function buildBundle(input: BundleInput): Bundle {
  const m = input.manifest;
  checkManifest(m);
  const mtime = new Date(Math.floor(input.time.getTime() / 1000) * 1000);
  const entries = new Map<string, Entry>();
  const addDirs = (p: string, mode = 0o755) => {
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/') + '/';
      if (!entries.has(dir)) entries.set(dir, { path: dir, mode, body: null });
    }
  };
  const add = (p: string, body: string | Buffer, mode: number) => {
    if (entries.has(p)) throw new ConfigurationError(`bundle: ${p} is given twice`);
    addDirs(p, p.startsWith('secrets/') ? 0o700 : 0o755);
    entries.set(p, { path: p, mode, body: Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8') });
  };

  add('manifest.json', JSON.stringify(m, null, 2) + '\n', 0o644);
  add('rollout.env', rolloutEnv(m, input.loggingSet, input.healthcheckSet), 0o644);
  for (const f of input.files) {
    const problem = appPathProblem(f.path);
    if (problem) throw new ConfigurationError(`bundle: file ${JSON.stringify(f.path)}: ${problem}`);
    add(`app/${f.path}`, f.content, 0o644);
  }
  for (const p of [...m.compose_files, ...m.env_files]) {
    if (!entries.has(`app/${p}`)) throw new ConfigurationError(`bundle: ${p} is named in the manifest but its content was not given`);
  }
  const secrets = input.secrets ?? {};
  for (const name of m.secrets) {
    if (!Object.hasOwn(secrets, name)) throw new ConfigurationError(`secret ${name} is listed for ${m.environment} but no value was given (--secrets-file or DELIVERY_SECRETS: ${name}=…)`);
  }
  for (const name of m.secrets) add(`secrets/${name}`, secrets[name], 0o600); // only the secrets the environment asks for
  if (input.dockerConfig) add('docker-config.json', input.dockerConfig, 0o600);

  for (const e of entries.values()) {
    if (!e.body && entries.has(e.path.slice(0, -1))) throw new ConfigurationError(`bundle: ${e.path.slice(0, -1)} is both a file and a folder`);
  }
  const sorted = [...entries.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const tar = tarOf(sorted, mtime);
  const max = input.maxBytes ?? MAX_BUNDLE_BYTES;
  if (tar.length > max) {
    const biggest = sorted
      .filter((e) => e.body)
      .sort((a, b) => b.body!.length - a.body!.length)
      .slice(0, 3)
      .map((e) => `${e.path} ${mib(e.body!.length)}`);
    throw new ConfigurationError(`bundle is ${mib(tar.length)}, over the limit of ${mib(max)} (largest: ${biggest.join(', ')}); ship data through the image, not the bundle`);
  }
  const bytes = gzipSync(tar, { level: 9 });
  return { bytes, sha256: createHash('sha256').update(bytes).digest('hex'), manifest: m };
}
