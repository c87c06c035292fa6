import path from 'node:path';
import { ConfigurationError } from './errors';
import { isServiceName } from './names';
import type { Route, Router } from './types';
import type { YamlSource } from './yaml-source';

/**
 * Checks the compose files before anything leaves the runner, and yields
 * what rollout needs to know about them (docs/protocol.md, rollout.env):
 *
 * - `build:` is an error: hosts never build.
 * - `container_name:` anywhere, and `ports:` on the routed service, are
 *   errors: both colors run side by side and would collide. `ports:` on
 *   other services is a warning for the same reason.
 * - `image:` is pinned (`@sha256:`), substituted from the build step's
 *   digests (`--images`), or a tag, allowed with a warning.
 * - Traefik v1 labels are an error with `router: traefik` and a warning
 *   otherwise; the message gives the v3 equivalent.
 */

export interface ComposeFile {
  /** Path relative to the Deliveryfile's folder, as in the bundle's app/. */
  path: string;
  /** The parsed file (its `file` is the name used in messages). */
  source: YamlSource;
}

/** Digests from the build step: `repo@sha256:…` or `service=repo@sha256:…`, one a line. */
export interface PinnedImages {
  byService: Record<string, string>;
  byRepository: Record<string, string>;
}

export interface TraefikV1Label {
  file: string;
  where: string;
  service: string;
  label: string;
  /** The Traefik v3 labels (or Deliveryfile route) that do the same. */
  v3: string;
}

export interface ComposeCheck {
  /** Every service, in order of first appearance. */
  services: string[];
  /** Services that set `logging:` themselves (rollout leaves them alone). */
  loggingSet: string[];
  /** Services whose compose file sets `healthcheck:`. */
  healthcheckSet: string[];
  /** Pinned images per service (`repo@sha256:…`). */
  images: Record<string, string>;
  /** Traefik v1 labels found (errors with router traefik, warnings otherwise). */
  traefikV1: TraefikV1Label[];
  warnings: string[];
}

const DIGEST = /^(.+)@(sha256:[a-f0-9]{64})$/;

/** `registry:5000/group/app:tag@sha256:…` → `registry:5000/group/app`. */
export function repositoryOf(image: string): string {
  let s = image.replace(/@sha256:[a-f0-9]+$/, '');
  const slash = s.lastIndexOf('/');
  const colon = s.lastIndexOf(':');
  if (colon > slash) s = s.slice(0, colon);
  return s;
}

export function parsePinnedImages(text: string | undefined, where = '--images'): PinnedImages {
  const out: PinnedImages = { byService: {}, byRepository: {} };
  if (!text) return out;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    let service: string | undefined;
    let ref = line;
    const eq = line.indexOf('=');
    if (eq > 0) {
      service = line.slice(0, eq).trim();
      ref = line.slice(eq + 1).trim();
      if (!isServiceName(service)) throw new ConfigurationError(`${where} line ${i + 1}: invalid service name ${JSON.stringify(service)}`);
    }
    const m = DIGEST.exec(ref);
    if (!m || !/^[A-Za-z0-9._/:@-]+$/.test(ref)) {
      throw new ConfigurationError(`${where} line ${i + 1}: expected repo@sha256:<64 hex> or service=repo@sha256:<64 hex>, got ${JSON.stringify(line)}`);
    }
    const pinned = `${repositoryOf(m[1])}@${m[2]}`;
    if (service) out.byService[service] = pinned;
    else out.byRepository[repositoryOf(m[1])] = pinned;
  });
  return out;
}

function traefikV3For(label: string, value: string): string {
  const router = 'traefik.http.routers.${DELIVERY_NAME}';
  if (label === 'traefik.frontend.rule') {
    const rules = value.split(';').map((r) => r.trim()).filter(Boolean);
    const parts: string[] = [];
    let strip: string | null = null;
    for (const r of rules) {
      const m = /^(PathPrefixStrip|PathPrefix|PathStrip|Path|Host|HostRegexp):(.*)$/.exec(r);
      if (!m) continue;
      const vals = m[2].split(',').map((v) => v.trim());
      const fn = m[1].replace('Strip', '');
      parts.push(vals.map((v) => `${fn}(\`${v}\`)`).join(' || '));
      if (m[1].endsWith('Strip')) strip = vals.join(',');
    }
    let out = `${router}.rule=${parts.join(' && ') || 'PathPrefix(`/app`)'}`;
    if (strip) {
      out += `, ${router}.middlewares=\${DELIVERY_NAME}-strip, traefik.http.middlewares.\${DELIVERY_NAME}-strip.stripprefix.prefixes=${strip}`;
      out += ` (or in the Deliveryfile: route: {path: ${strip.split(',')[0]}, strip_prefix: true, service: …, port: …})`;
    }
    return out;
  }
  if (label === 'traefik.port') return `traefik.http.services.\${DELIVERY_NAME}.loadbalancer.server.port=${value} (or route.port: ${value} in the Deliveryfile)`;
  if (label === 'traefik.backend') return 'nothing: v3 names the service after the router; drop the label';
  if (label === 'traefik.protocol') return `traefik.http.services.\${DELIVERY_NAME}.loadbalancer.server.scheme=${value}`;
  return 'the traefik.http.routers.* / traefik.http.services.* labels of Traefik v3';
}

const V1_LABEL = /^traefik\.(?:frontend\.|backend(?:\.|$)|port$|protocol$|weight$)/;

function labelsOf(v: unknown): [string, string, number | string][] {
  if (Array.isArray(v)) {
    return v.filter((l): l is string => typeof l === 'string').map((l, i) => {
      const eq = l.indexOf('=');
      return eq < 0 ? [l, '', i] : [l.slice(0, eq), l.slice(eq + 1), i];
    });
  }
  if (v && typeof v === 'object') return Object.entries(v as Record<string, unknown>).map(([k, val]) => [k, String(val ?? ''), k]);
  return [];
}

export interface ComposeCheckOptions {
  route: Route | null;
  router: Router | null;
  /** The Deliveryfile's `images:` (service → repository). */
  repositories: Record<string, string>;
  pinned: PinnedImages;
  /** The Deliveryfile, for messages about `route` and `images`. */
  deliveryfile?: YamlSource;
  /** Paths shipped under app/ (compose and env files); `env_file:` elsewhere is a warning. */
  shipped?: readonly string[];
}

export function checkCompose(files: readonly ComposeFile[], opts: ComposeCheckOptions): ComposeCheck {
  const services: string[] = [];
  const logging = new Set<string>();
  const health = new Set<string>();
  const image = new Map<string, { value: string; src: YamlSource }>();
  const firstSeen = new Map<string, YamlSource>();
  const warnings: string[] = [];
  const traefikV1: TraefikV1Label[] = [];

  for (const f of files) {
    const src = f.source;
    const data = src.data;
    if (!data || typeof data !== 'object' || Array.isArray(data)) throw src.error([], 'expected a compose file: a map with "services:"');
    if ('include' in (data as object)) {
      throw src.error(['include'], 'the bundle ships only the files the Deliveryfile lists: list the included files under "files:" instead of "include:"', true);
    }
    const svcs = (data as Record<string, unknown>).services;
    if (svcs === undefined || svcs === null) continue;
    if (typeof svcs !== 'object' || Array.isArray(svcs)) throw src.error(['services'], 'expected a map of services');
    for (const [name, raw] of Object.entries(svcs as Record<string, unknown>)) {
      const at = ['services', name];
      if (!isServiceName(name)) throw src.error(at, 'invalid service name: expected letters, digits, ".", "_" and "-"', true);
      if (!services.includes(name)) {
        services.push(name);
        firstSeen.set(name, src);
      }
      if (raw === null || raw === undefined) continue;
      if (typeof raw !== 'object' || Array.isArray(raw)) throw src.error(at, 'expected a map (image:, environment:, …)');
      const s = raw as Record<string, unknown>;
      if ('build' in s) throw src.error([...at, 'build'], 'hosts never build: remove "build:" and give an image (built and pushed by the build step)', true);
      if ('container_name' in s) {
        throw src.error([...at, 'container_name'], 'both colors run side by side during a deploy and the fixed name would collide; remove "container_name:"', true);
      }
      if ('ports' in s) {
        if (opts.route && opts.route.service === name) {
          throw src.error(
            [...at, 'ports'],
            'the routed service must not publish ports: both colors run side by side and would collide; the router reaches it on route.port',
            true,
          );
        }
        warnings.push(`${src.where([...at, 'ports'], true)}: published host ports collide when both colors run side by side during a deploy`);
      }
      const ext = s.extends as Record<string, unknown> | undefined;
      if (ext && typeof ext === 'object' && 'file' in ext) {
        throw src.error([...at, 'extends', 'file'], 'the bundle ships only the files the Deliveryfile lists: extend a service of the same file, or list both files under "files:"', true);
      }
      if (opts.shipped && 'env_file' in s) {
        const list = Array.isArray(s.env_file) ? s.env_file : [s.env_file];
        list.forEach((e, i) => {
          const p = typeof e === 'string' ? e : e && typeof e === 'object' ? (e as { path?: unknown }).path : undefined;
          if (typeof p !== 'string') return;
          const rel = path.posix.normalize(path.posix.join(path.posix.dirname(f.path), p));
          if (!opts.shipped!.includes(rel)) {
            const where = src.where(Array.isArray(s.env_file) ? [...at, 'env_file', i] : [...at, 'env_file']);
            warnings.push(`${where}: ${p} is not shipped in the bundle; list it under the environment's "env_files:" (rollout gives every service those)`);
          }
        });
      }
      if ('logging' in s) logging.add(name);
      if ('healthcheck' in s) {
        const hc = s.healthcheck as Record<string, unknown> | null;
        if (hc && typeof hc === 'object' && hc.disable === true) health.delete(name);
        else health.add(name);
      }
      if ('image' in s) {
        if (typeof s.image !== 'string' || !s.image.trim()) throw src.error([...at, 'image'], 'expected an image reference');
        image.set(name, { value: s.image.trim(), src });
      }
      for (const [label, value, idx] of labelsOf(s.labels)) {
        if (!V1_LABEL.test(label)) continue;
        const where = src.where([...at, 'labels', idx]);
        traefikV1.push({ file: src.file, where, service: name, label, v3: traefikV3For(label, value) });
      }
    }
  }

  if (services.length === 0) {
    throw new ConfigurationError(`${files.map((f) => f.source.file).join(', ')}: no services; expected "services:" with at least one service`);
  }

  // Route and images from the Deliveryfile must name real services.
  const df = opts.deliveryfile;
  if (opts.route && !services.includes(opts.route.service)) {
    const m = `route.service ${JSON.stringify(opts.route.service)} is not a service of the compose files (services: ${services.join(', ')})`;
    throw df ? df.error(['route', 'service'], m.replace(/^route\.service /, '')) : new ConfigurationError(m);
  }
  for (const svc of Object.keys(opts.repositories)) {
    if (!services.includes(svc)) {
      const m = `${JSON.stringify(svc)} is not a service of the compose files (services: ${services.join(', ')})`;
      throw df ? df.error(['images', svc], m, true) : new ConfigurationError(`images.${svc}: ${m}`);
    }
  }
  for (const svc of Object.keys(opts.pinned.byService)) {
    if (!services.includes(svc)) throw new ConfigurationError(`--images: ${JSON.stringify(svc)} is not a service of the compose files (services: ${services.join(', ')})`);
  }

  const images: Record<string, string> = {};
  const usedRepos = new Set<string>();
  for (const name of services) {
    const given = image.get(name);
    const repo = opts.repositories[name] ?? (given ? repositoryOf(given.value) : undefined);
    const byService = opts.pinned.byService[name];
    const byRepo = repo ? opts.pinned.byRepository[repo] : undefined;
    if (byService) {
      images[name] = byService;
      continue;
    }
    if (byRepo) {
      images[name] = byRepo;
      usedRepos.add(repo!);
      continue;
    }
    if (!given) {
      const src = firstSeen.get(name)!;
      throw src.error(
        ['services', name],
        opts.repositories[name]
          ? `no image: the Deliveryfile maps it to ${opts.repositories[name]}, but no digest for it was given (--images); add "image:" or pass the build step's digest`
          : 'no image: hosts never build; give "image:" (pushed by the build step)',
      );
    }
    const where = given.src.where(['services', name, 'image']);
    if (DIGEST.test(given.value)) {
      images[name] = given.value;
      continue;
    }
    if (given.value.includes('$')) {
      warnings.push(`${where}: image ${given.value} uses variables; it is resolved on the host and not pinned`);
    } else {
      warnings.push(
        `${where}: image ${given.value} is a tag, not a digest; the host records the digest it pulls, so a rollback is still exact (pin it with --images or "@sha256:")`,
      );
    }
  }
  for (const repo of Object.keys(opts.pinned.byRepository)) {
    if (!usedRepos.has(repo)) warnings.push(`--images: ${opts.pinned.byRepository[repo]} matches no service's image; map it in the Deliveryfile's images: or use service=${repo}@…`);
  }

  for (const t of traefikV1) {
    const m = `${t.where}: ${t.label} is a Traefik v1 label; Traefik v3 ignores it and the app would only get the teapot's 418. Traefik v3: ${t.v3}`;
    if (opts.router === 'traefik') throw new ConfigurationError(m);
    warnings.push(m);
  }

  return { services, loggingSet: [...logging], healthcheckSet: [...health], images, traefikV1, warnings };
}
