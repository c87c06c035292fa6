import path from 'node:path';
import { ConfigurationError } from './errors';
import { isServiceName } from './names';
import type { Route, Router } from './types';
import { Tagged, type FieldPath, type YamlSource } from './yaml-source';

/**
 * Checks the compose files before anything leaves the runner, on the model
 * `docker compose config` would build (the files merged in order, `!reset`
 * and `!override` applied, `extends` followed, services of a profile left
 * out), and yields what rollout needs to know (docs/protocol.md,
 * rollout.env) and the files the compose files reference (shipped under
 * app/). The decisions, with their reasons, are in the README (section
 * "compose files"):
 *
 * - `build:` is ignored with a note (hosts never build: rollout runs
 *   compose with `--no-build`); a service needs an image.
 * - `container_name:` anywhere, and a fixed host port anywhere, are errors:
 *   both colors run side by side and would collide. `ports: ["8080"]`
 *   (Docker picks the host port) is fine.
 * - `image:` is pinned (`@sha256:`), substituted from the build step's
 *   digests (`--images`), or a tag, allowed with a warning.
 * - Traefik v1 labels are an error with `router: traefik` and a warning
 *   otherwise; the message gives the v3 equivalent.
 * - Relative bind mounts, `configs:`/`secrets:` with `file:`, `env_file:`,
 *   `extends: {file:}` and the project's `.env` are references: the
 *   adapter ships them (inside the Deliveryfile's folder, bounded).
 *
 * Relative paths: compose resolves them against the project folder. On the
 * host that is the release's app/ folder (rollout passes
 * `--project-directory`), on the runner the folder of the first compose
 * file. A reference is therefore kept as a path relative to the project
 * folder (`path`, where it lands under app/) and read from that path below
 * the first compose file's folder (`local`).
 */

export interface ComposeFile {
  /** Path relative to the Deliveryfile's folder, as in the bundle's app/ (for a file named by `extends:`, relative to the project folder). */
  path: string;
  /** The parsed file (its `file` is the name used in messages). */
  source: YamlSource;
}

/** Digests from the build step: `repo@sha256:…` or `service=repo@sha256:…`, one a line. */
export interface PinnedImages {
  byService: Map<string, string>;
  byRepository: Map<string, string>;
}

export interface TraefikV1Label {
  file: string;
  where: string;
  service: string;
  label: string;
  /** The Traefik v3 labels (or Deliveryfile route) that do the same. */
  v3: string;
}

/** A file the compose files reference, shipped at app/<path>. */
export interface ComposeReference {
  /** Relative to the project folder: where it lands under app/ (and what compose on the host opens). */
  path: string;
  /** Relative to the Deliveryfile's folder: where it is read on the runner. */
  local: string;
  kind: 'bind' | 'env_file' | 'config' | 'secret' | 'extends' | 'dotenv';
  /** `FILE:LINE:COL field.path` that names it, for messages. */
  where: string;
  /** A missing `env_file` with `required: false` or the project `.env`: not an error. */
  optional: boolean;
  /** A bind mount with `:ro` (or `read_only: true`): a folder may be shipped. */
  readOnly: boolean;
}

export interface ComposeCheck {
  /** Every service that `docker compose up` starts (no inactive profile), in order of first appearance. */
  services: string[];
  /** Services that set `logging:` themselves (rollout leaves them alone). */
  loggingSet: string[];
  /** Services whose compose file sets `healthcheck:`. */
  healthcheckSet: string[];
  /** Pinned images per service (`repo@sha256:…`). */
  images: Record<string, string>;
  /** Traefik v1 labels found (errors with router traefik, warnings otherwise). */
  traefikV1: TraefikV1Label[];
  /** Files to ship besides the listed ones (relative bind mounts, config/secret files, env_file, extends files, .env). */
  references: ComposeReference[];
  warnings: string[];
  /** Things ignored on purpose, said once (`build:` next to `image:`, services of a profile). */
  notes: string[];
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
  const out: PinnedImages = { byService: new Map(), byRepository: new Map() };
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
    if (service) out.byService.set(service, pinned);
    else out.byRepository.set(repositoryOf(m[1]), pinned);
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
  repositories: Readonly<Record<string, string>>;
  pinned: PinnedImages;
  /** The Deliveryfile, for messages about `route` and `images`. */
  deliveryfile?: YamlSource;
  /** Files named by `extends: {file: …}`, by path relative to the project folder (read by the adapter: see `extendsFilesNeeded`). */
  extended?: ReadonlyMap<string, YamlSource>;
  /** Active compose profiles (rollout activates none). */
  profiles?: readonly string[];
}

type Obj = Record<string, unknown>;
const REMOVE = Symbol('remove');

function isObj(v: unknown): v is Obj {
  return !!v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Tagged);
}

function newObj(): Obj {
  return Object.create(null) as Obj;
}

/** The value with `!override` unwrapped and `!reset` values dropped. */
function plain(v: unknown): unknown {
  if (v instanceof Tagged) return v.tag === '!reset' ? undefined : plain(v.value);
  if (Array.isArray(v)) return v.filter((x) => !(x instanceof Tagged && x.tag === '!reset')).map(plain);
  if (isObj(v)) {
    const out = newObj();
    for (const [k, x] of Object.entries(v)) {
      if (x instanceof Tagged && x.tag === '!reset') continue;
      out[k] = plain(x);
    }
    return out;
  }
  return v;
}

// How compose merges lists (compose-spec merge.md): some replace, some are
// keyed (mounts by target), some become maps; the rest are appended.
const REPLACE = new Set(['command', 'entrypoint', 'healthcheck.test']);
const BY_TARGET = new Set(['volumes', 'devices', 'secrets', 'configs']);
const TO_MAP = new Set(['environment', 'labels', 'extra_hosts', 'sysctls', 'annotations', 'build.args']);

function mountKey(v: unknown): string {
  if (typeof v === 'string') {
    const parts = v.split(':');
    return parts.length > 1 ? parts[1] : parts[0];
  }
  if (isObj(v)) return String(v.target ?? v.source ?? JSON.stringify(v));
  return JSON.stringify(v);
}

function asMap(v: unknown): Obj {
  if (isObj(v)) return v;
  const out = newObj();
  if (Array.isArray(v)) {
    for (const item of v) {
      if (typeof item !== 'string') continue;
      const eq = item.indexOf('=');
      const colon = item.indexOf(':');
      const cut = eq >= 0 ? eq : colon; // extra_hosts use "host:ip" too
      if (cut < 0) out[item] = null;
      else out[item.slice(0, cut)] = item.slice(cut + 1);
    }
  }
  return out;
}

function mergeValue(key: string, base: unknown, over: unknown): unknown {
  if (over instanceof Tagged) return over.tag === '!reset' ? REMOVE : plain(over.value);
  if (base === undefined || base === null) return plain(over);
  if (TO_MAP.has(key) && (isObj(base) || Array.isArray(base)) && (isObj(over) || Array.isArray(over))) {
    return mergeMaps(asMap(base), asMap(over), key);
  }
  if (isObj(base) && isObj(over)) return mergeMaps(base, over, key);
  if (Array.isArray(base) && Array.isArray(over)) {
    if (REPLACE.has(key)) return plain(over);
    const items = over.filter((x) => !(x instanceof Tagged && x.tag === '!reset')).map(plain);
    if (BY_TARGET.has(key)) {
      const byKey = new Map<string, unknown>();
      for (const x of base) byKey.set(mountKey(x), x);
      for (const x of items) byKey.set(mountKey(x), x);
      return [...byKey.values()];
    }
    const seen = new Set(base.map((x) => JSON.stringify(x)));
    return [...base, ...items.filter((x) => !seen.has(JSON.stringify(x)))];
  }
  return plain(over);
}

function mergeMaps(base: Obj, over: Obj, at = ''): Obj {
  const out = newObj();
  for (const [k, v] of Object.entries(base)) out[k] = v;
  for (const [k, v] of Object.entries(over)) {
    const key = at && at !== 'service' ? `${at}.${k}` : k;
    const m = mergeValue(key, Object.hasOwn(out, k) ? out[k] : undefined, v);
    if (m === REMOVE || m === undefined) delete out[k];
    else out[k] = m;
  }
  return out;
}

function isRelativePath(p: string): boolean {
  return p === '.' || p === '..' || p.startsWith('./') || p.startsWith('../');
}

/** Paths of a service from a file in folder `dir` (of the project folder), made relative to the project folder. */
function rebase(svc: unknown, dir: string): unknown {
  if (!dir || !isObj(svc)) return svc;
  const j = (p: string) => './' + path.posix.normalize(path.posix.join(dir, p));
  const out = newObj();
  for (const [k, v] of Object.entries(svc)) out[k] = v;
  const map = (v: unknown, f: (x: unknown) => unknown): unknown =>
    v instanceof Tagged ? new Tagged(v.tag, map(v.value, f)) : Array.isArray(v) ? v.map(f) : f(v);
  if ('volumes' in out) {
    out.volumes = map(out.volumes, (x) => {
      if (typeof x === 'string') {
        const i = x.indexOf(':');
        const src = i < 0 ? x : x.slice(0, i);
        return isRelativePath(src) && i >= 0 ? j(src) + x.slice(i) : x;
      }
      if (isObj(x) && typeof x.source === 'string' && x.type === 'bind' && !x.source.startsWith('/') && !x.source.startsWith('~')) return { ...x, source: j(x.source) };
      return x;
    });
  }
  if ('env_file' in out) {
    out.env_file = map(out.env_file, (x) => (typeof x === 'string' ? j(x) : isObj(x) && typeof x.path === 'string' ? { ...x, path: j(x.path) } : x));
  }
  return out;
}

interface Origin {
  src: YamlSource;
  /** Path of the service in its file (`services.web`). */
  at: FieldPath;
}

interface ServiceModel {
  data: Obj;
  /** Where each top-level key of the service was last set. */
  keys: Map<string, Origin>;
  /** Where the service is first defined. */
  def: Origin;
}

interface FileInModel {
  /** Path relative to the project folder for an extended file, '' for a listed one (its paths resolve against the project folder). */
  dir: string;
  src: YamlSource;
}

function servicesOf(src: YamlSource): Obj | null {
  const data = src.data;
  if (!isObj(data)) throw src.error([], 'expected a compose file: a map with "services:"');
  const svcs = data.services;
  if (svcs === undefined || svcs === null) return null;
  if (!isObj(svcs)) throw src.error(['services'], 'expected a map of services');
  return svcs;
}

class Model {
  readonly services = new Map<string, ServiceModel>();
  readonly order: string[] = [];
  readonly top = new Map<'configs' | 'secrets', Map<string, { value: unknown; origin: Origin }>>([
    ['configs', new Map()],
    ['secrets', new Map()],
  ]);
  /** extends files named but not given (project-relative path → where named). */
  readonly missing = new Map<string, string>();
  readonly extendsFiles = new Map<string, string>();

  constructor(
    files: readonly ComposeFile[],
    private readonly extended: ReadonlyMap<string, YamlSource>,
  ) {
    for (const f of files) this.addFile(f.source);
  }

  private addFile(src: YamlSource) {
    const data = src.data;
    if (!isObj(data)) throw src.error([], 'expected a compose file: a map with "services:"');
    if ('include' in data) {
      throw src.error(['include'], 'the bundle ships only the files the Deliveryfile lists and the files they name: list the included files under "files:" instead of "include:"', true);
    }
    for (const kind of ['configs', 'secrets'] as const) {
      const top = data[kind];
      if (top === undefined || top === null) continue;
      if (!isObj(top)) throw src.error([kind], `expected a map of ${kind}`);
      const into = this.top.get(kind)!;
      for (const [name, v] of Object.entries(top)) {
        const prev = into.get(name);
        const m = prev ? mergeValue(kind, prev.value, v) : plain(v);
        if (m === REMOVE || m === undefined) into.delete(name);
        else into.set(name, { value: m, origin: { src, at: [kind, name] } });
      }
    }
    const svcs = servicesOf(src);
    if (!svcs) return;
    const file: FileInModel = { dir: '', src };
    for (const name of Object.keys(svcs)) {
      if (!isServiceName(name)) throw src.error(['services', name], 'invalid service name: expected letters, digits, ".", "_" and "-"', true);
      const r = this.resolve(file, name, []);
      if (!r) continue;
      const prev = this.services.get(name);
      if (!prev) {
        this.order.push(name);
        this.services.set(name, { data: plain(r.data) as Obj, keys: r.keys, def: { src, at: ['services', name] } });
        continue;
      }
      const merged = mergeMaps(prev.data, r.data, 'service');
      for (const k of Object.keys(r.data)) {
        if (Object.hasOwn(merged, k)) prev.keys.set(k, r.keys.get(k) ?? { src, at: ['services', name] });
        else prev.keys.delete(k);
      }
      prev.data = merged;
    }
  }

  /** A service of `file` with its `extends` followed; its tags are kept when it extends nothing (the next file's merge applies them). */
  private resolve(file: FileInModel, name: string, stack: string[]): { data: Obj; keys: Map<string, Origin> } | null {
    const svcs = servicesOf(file.src)!;
    const raw = svcs[name];
    const at = ['services', name];
    if (raw === null || raw === undefined) return { data: newObj(), keys: new Map() };
    if (!isObj(raw)) throw file.src.error(at, 'expected a map (image:, environment:, …)');
    const own = Object.assign(newObj(), rebase(raw, file.dir) as Obj); // a copy: the parsed file stays as it was
    const keys = new Map<string, Origin>(Object.keys(own).map((k) => [k, { src: file.src, at }]));
    const ext = own.extends;
    if (ext === undefined) return { data: own, keys };
    const id = `${file.src.file}#${name}`;
    if (stack.includes(id)) throw file.src.error([...at, 'extends'], `extends loops: ${[...stack, id].join(' → ')}`);
    let baseName: string;
    let baseFile: FileInModel = file;
    if (typeof ext === 'string') baseName = ext;
    else if (isObj(ext) && typeof ext.service === 'string') {
      baseName = ext.service;
      if (ext.file !== undefined) {
        if (typeof ext.file !== 'string') throw file.src.error([...at, 'extends', 'file'], 'expected a file name');
        const p = path.posix.normalize(path.posix.join(file.dir, ext.file));
        const where = file.src.where([...at, 'extends', 'file']);
        if (p.startsWith('../') || p === '..' || path.posix.isAbsolute(ext.file)) {
          throw file.src.error([...at, 'extends', 'file'], `${ext.file} is outside the project folder; the bundle ships only files inside it`);
        }
        this.extendsFiles.set(p, where);
        const src = this.extended.get(p);
        if (!src) {
          this.missing.set(p, where);
          return null;
        }
        baseFile = { dir: path.posix.dirname(p) === '.' ? '' : path.posix.dirname(p), src };
      }
    } else throw file.src.error([...at, 'extends'], 'expected a service name or {service: NAME, file: FILE}');
    const baseSvcs = servicesOf(baseFile.src);
    if (!baseSvcs || !Object.hasOwn(baseSvcs, baseName)) {
      throw file.src.error([...at, 'extends'], `no service ${JSON.stringify(baseName)} in ${baseFile.src.file} to extend`);
    }
    const base = this.resolve(baseFile, baseName, [...stack, id]);
    if (!base) return null;
    delete own.extends;
    keys.delete('extends');
    const data = mergeMaps(plain(base.data) as Obj, own, 'service');
    const out = new Map<string, Origin>();
    for (const k of Object.keys(data)) out.set(k, keys.get(k) ?? base.keys.get(k) ?? { src: file.src, at });
    return { data, keys: out };
  }
}

/**
 * The files named by `extends: {file: …}` that `extended` does not hold
 * yet (path relative to the project folder → where it is named). The
 * adapter reads them and asks again, until none is missing.
 */
export function extendsFilesNeeded(files: readonly ComposeFile[], extended: ReadonlyMap<string, YamlSource>): Map<string, string> {
  return new Model(files, extended).missing;
}

/** `ports:` entry → its fixed host port, or null when Docker picks one. */
function fixedHostPort(p: unknown): string | null {
  if (typeof p === 'number') return null;
  if (isObj(p)) {
    const pub = p.published;
    return pub === undefined || pub === null || pub === '' ? null : String(pub);
  }
  if (typeof p !== 'string') return null;
  let s = p.replace(/\/[a-z]+$/, '');
  if (s.startsWith('[')) {
    const end = s.indexOf(']');
    s = end < 0 ? s : s.slice(end + 2);
    const parts = s.split(':');
    return parts.length >= 2 && parts[0] !== '' ? parts[0] : null;
  }
  const parts = s.split(':');
  if (parts.length === 1) return null;
  const host = parts[parts.length - 2];
  return host === '' ? null : host;
}

export function checkCompose(files: readonly ComposeFile[], opts: ComposeCheckOptions): ComposeCheck {
  const model = new Model(files, opts.extended ?? new Map());
  const first = model.missing.entries().next();
  if (!first.done) throw new ConfigurationError(`${first.value[1]}: ${first.value[0]} was not read (extends); the adapter must read it first`);
  const warnings: string[] = [];
  const notes: string[] = [];
  const traefikV1: TraefikV1Label[] = [];
  const logging = new Set<string>();
  const health = new Set<string>();
  const image = new Map<string, { value: string; where: string }>();
  const references = new Map<string, ComposeReference>();
  const projectDir = files.length ? path.posix.dirname(files[0].path) : '.';
  const local = (p: string) => path.posix.normalize(path.posix.join(projectDir, p));
  const refer = (raw: string, kind: ComposeReference['kind'], where: string, optional: boolean, readOnly = false) => {
    const p = path.posix.normalize(raw).replace(/\/+$/, '');
    if (p === '.' || p === '') {
      throw new ConfigurationError(`${where}: ${raw} is the whole project folder (a development setup); the hosts run the image: bake the code into it, or mount a folder of files the app reads`);
    }
    if (p === '..' || p.startsWith('../') || path.posix.isAbsolute(p) || local(p).startsWith('../') || local(p) === '..') {
      throw new ConfigurationError(`${where}: ${raw} is outside the Deliveryfile's folder; the bundle ships only files inside it (move it into the folder, or bake it into the image)`);
    }
    const prev = references.get(p);
    if (!prev) references.set(p, { path: p, local: local(p), kind, where, optional, readOnly });
    else if (!readOnly) prev.readOnly = false;
  };

  for (const f of files) servicesOf(f.source);
  const active = new Set(opts.profiles ?? []);
  const services: string[] = [];
  const inProfile: string[] = [];
  const buildIgnored: string[] = [];
  for (const name of model.order) {
    const svc = model.services.get(name)!;
    const s = svc.data;
    const whereKey = (k: string, key = true) => {
      const o = svc.keys.get(k) ?? svc.def;
      return o.src.where([...o.at, k], key);
    };
    const profiles = Array.isArray(s.profiles) ? s.profiles.map(String) : [];
    if (profiles.length && !profiles.some((p) => active.has(p))) {
      inProfile.push(`${name} (${profiles.join(', ')})`);
      continue;
    }
    services.push(name);
    if ('provider' in s) {
      throw new ConfigurationError(
        `${whereKey('provider')}: a provider service is not a container: compose hands it to a plugin (provider.type) on the machine that runs compose, and the hosts run containers only; create what it provides outside delivery and give its address in the environment, or move the service to a profile`,
      );
    }
    if ('container_name' in s) {
      throw new ConfigurationError(`${whereKey('container_name')}: both colors run side by side during a deploy and the fixed name would collide; remove "container_name:"`);
    }
    if (Array.isArray(s.ports)) {
      s.ports.forEach((p) => {
        const host = fixedHostPort(p);
        if (host === null) return;
        const where = whereKey('ports');
        if (host.includes('$')) {
          warnings.push(`${where}: host port ${host} comes from a variable; if it resolves to a fixed port, the new color cannot start while the old one holds it`);
          return;
        }
        if (opts.route && opts.route.service === name) {
          throw new ConfigurationError(
            `${where}: the routed service must not publish ports on fixed host ports (${JSON.stringify(p)}): both colors run side by side and would collide; the router reaches it on route.port (remove "ports:", or publish the container port alone)`,
          );
        }
        throw new ConfigurationError(
          `${where}: fixed host port ${host} (${JSON.stringify(p)}): during a deploy both colors run side by side and the new one cannot bind it; publish the container port alone (Docker picks the host port), drop it in an override file with "ports: !reset []", or route the service (route: in the Deliveryfile)`,
        );
      });
    }
    if (Array.isArray(s.volumes)) {
      for (const v of s.volumes) {
        let src: string | null = null;
        let ro = false;
        if (typeof v === 'string') {
          const parts = v.split(':');
          if (parts.length >= 2) src = parts[0];
          ro = parts.length >= 3 && parts[2].split(',').includes('ro');
        } else if (isObj(v) && v.type === 'bind' && typeof v.source === 'string') {
          src = v.source;
          ro = v.read_only === true;
        }
        if (src === null) continue;
        if (src.startsWith('~')) {
          throw new ConfigurationError(`${whereKey('volumes')}: ${src} is a home folder: on the host it is the deploy user's; mount a folder of the project (./…) or a data folder the host allows`);
        }
        if (isRelativePath(src) || (isObj(v) && !src.startsWith('/') && src !== '')) refer(src, 'bind', whereKey('volumes'), false, ro);
      }
    }
    if (s.env_file !== undefined && s.env_file !== null) {
      const list = Array.isArray(s.env_file) ? s.env_file : [s.env_file];
      for (const e of list) {
        const p = typeof e === 'string' ? e : isObj(e) && typeof e.path === 'string' ? e.path : null;
        if (p === null) continue;
        if (path.posix.isAbsolute(p)) {
          throw new ConfigurationError(`${whereKey('env_file')}: ${p} is a path on the host; put the file next to the compose file (it is shipped) or list it under the environment's "env_files:"`);
        }
        refer(p, 'env_file', whereKey('env_file'), isObj(e) && e.required === false);
      }
    }
    for (const kind of ['configs', 'secrets'] as const) {
      const used = s[kind];
      if (!Array.isArray(used)) continue;
      for (const u of used) {
        const ref = typeof u === 'string' ? u : isObj(u) && typeof u.source === 'string' ? u.source : null;
        const top = ref === null ? undefined : model.top.get(kind)!.get(ref);
        if (!top || !isObj(top.value) || typeof top.value.file !== 'string') continue;
        const where = top.origin.src.where([...top.origin.at, 'file']);
        if (path.posix.isAbsolute(top.value.file)) {
          throw new ConfigurationError(`${where}: ${top.value.file} is a path on the host; put the file next to the compose file (it is shipped)${kind === 'secrets' ? ", or give the secret from CI secrets (the environment's secrets:)" : ''}`);
        }
        refer(top.value.file, kind === 'configs' ? 'config' : 'secret', where, false);
      }
    }
    if ('build' in s && s.build !== null) buildIgnored.push(name);
    if ('logging' in s) logging.add(name);
    if ('healthcheck' in s) {
      const hc = s.healthcheck;
      if (!(isObj(hc) && hc.disable === true)) health.add(name);
    }
    if ('image' in s && s.image !== null) {
      if (typeof s.image !== 'string' || !s.image.trim()) throw new ConfigurationError(`${whereKey('image', false)}: expected an image reference`);
      image.set(name, { value: s.image.trim(), where: whereKey('image', false) });
    }
    for (const [label, value, idx] of labelsOf(s.labels)) {
      if (!V1_LABEL.test(label)) continue;
      const o = svc.keys.get('labels') ?? svc.def;
      const where = o.src.has([...o.at, 'labels', idx]) ? o.src.where([...o.at, 'labels', idx]) : o.src.where([...o.at, 'labels'], true);
      traefikV1.push({ file: o.src.file, where, service: name, label, v3: traefikV3For(label, value) });
    }
  }
  for (const [p, where] of model.extendsFiles) if (!references.has(p)) references.set(p, { path: p, local: local(p), kind: 'extends', where, optional: false, readOnly: true });
  if (!references.has('.env')) references.set('.env', { path: '.env', local: local('.env'), kind: 'dotenv', where: 'the project .env', optional: true, readOnly: true });

  if (model.order.length === 0) {
    throw new ConfigurationError(`${files.map((f) => f.source.file).join(', ')}: no services; expected "services:" with at least one service`);
  }
  if (services.length === 0) {
    throw new ConfigurationError(`${files.map((f) => f.source.file).join(', ')}: every service is in a profile (${inProfile.join(', ')}), and rollout starts no profile; take the services to deploy out of "profiles:"`);
  }
  if (inProfile.length) notes.push(`services in a profile are not deployed (rollout starts no profile): ${inProfile.join(', ')}`);
  if (buildIgnored.length) notes.push(`build: ignored for ${buildIgnored.join(', ')}: hosts never build (rollout runs compose with --no-build), they pull the image`);

  // Route and images from the Deliveryfile must name real services.
  const df = opts.deliveryfile;
  if (opts.route && !services.includes(opts.route.service)) {
    const why = model.services.has(opts.route.service) ? ' (it is in a profile, which rollout does not start)' : '';
    const m = `route.service ${JSON.stringify(opts.route.service)} is not a service of the compose files${why} (services: ${services.join(', ')})`;
    throw df ? df.error(['route', 'service'], m.replace(/^route\.service /, '')) : new ConfigurationError(m);
  }
  for (const svc of Object.keys(opts.repositories)) {
    if (!services.includes(svc)) {
      const m = `${JSON.stringify(svc)} is not a service of the compose files (services: ${services.join(', ')})`;
      throw df ? df.error(['images', svc], m, true) : new ConfigurationError(`images.${svc}: ${m}`);
    }
  }
  for (const svc of opts.pinned.byService.keys()) {
    if (!services.includes(svc)) throw new ConfigurationError(`--images: ${JSON.stringify(svc)} is not a service of the compose files (services: ${services.join(', ')})`);
  }

  const images: Record<string, string> = Object.create(null);
  const usedRepos = new Set<string>();
  for (const name of services) {
    const given = image.get(name);
    const mapped = Object.hasOwn(opts.repositories, name) ? opts.repositories[name] : undefined;
    const repo = mapped ?? (given ? repositoryOf(given.value) : undefined);
    const byService = opts.pinned.byService.get(name);
    const byRepo = repo ? opts.pinned.byRepository.get(repo) : undefined;
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
      const svc = model.services.get(name)!;
      const where = svc.def.src.where(svc.def.at);
      if (mapped) throw new ConfigurationError(`${where}: no image: the Deliveryfile maps it to ${mapped}, but no digest for it was given (--images); add "image:" or pass the build step's digest`);
      if (buildIgnored.includes(name)) {
        throw new ConfigurationError(`${where}: no image: it only has "build:", and hosts never build; give "image:" (the repository the build step pushes), or map the service under the Deliveryfile's "images:" and pass the digest with --images`);
      }
      throw new ConfigurationError(`${where}: no image: give "image:" (the image the hosts pull)`);
    }
    const where = given.where;
    if (DIGEST.test(given.value)) {
      images[name] = given.value;
      continue;
    }
    if (given.value.includes('$')) {
      warnings.push(`${where}: image ${given.value} uses variables; it is resolved on the host and not pinned`);
    } else {
      warnings.push(
        `${where}: image ${given.value} is a tag, not a digest; each host pulls it at deploy time and pins that release to the digest it got, so a rollback runs the same image even after the tag moved or was deleted; hosts that pull while the tag moves can differ (pin it with --images or "@sha256:")`,
      );
    }
  }
  for (const [repo, ref] of opts.pinned.byRepository) {
    if (!usedRepos.has(repo)) warnings.push(`--images: ${ref} matches no service's image; map it in the Deliveryfile's images: or use service=${repo}@…`);
  }

  for (const t of traefikV1) {
    const m = `${t.where}: ${t.label} is a Traefik v1 label; Traefik v3 ignores it and the app would only get the teapot's 418. Traefik v3: ${t.v3}`;
    if (opts.router === 'traefik') throw new ConfigurationError(m);
    warnings.push(m);
  }

  return { services, loggingSet: [...logging], healthcheckSet: [...health], images, traefikV1, references: [...references.values()], warnings, notes };
}

/**
 * The merged services (every service, profiles included), as the checks see
 * them: for tests that compare the model with `docker compose config`.
 */
export function mergedServices(files: readonly ComposeFile[], extended: ReadonlyMap<string, YamlSource> = new Map()): Map<string, Record<string, unknown>> {
  const model = new Model(files, extended);
  return new Map(model.order.map((n) => [n, model.services.get(n)!.data]));
}
