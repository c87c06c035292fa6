import { z } from 'zod';
import { DEFAULTS, JUMP_HOST, SSH_USER } from './deliveryfile-peek';
import { ConfigurationError } from './errors';
import { applicationProblem, isSecretName } from './names';
import { DEPLOY_MODES, ON_FAILURE, ROUTERS, type DeployMode, type OnFailure, type Router } from './types';
import { YamlSource, didYouMean, type FieldPath } from './yaml-source';

/**
 * The Deliveryfile: YAML validated with zod. The seed's format loads
 * unchanged (`version: 1.0` is the number 1); every extension is optional
 * and its default is listed in the README (section "deliveryfile").
 *
 * Every error is one line: `FILE:LINE:COL field.path: what was expected`.
 */

// The defaults, the SSH name patterns and the environment lookup are
// ./deliveryfile-peek's (no zod), re-exported here.
export { DEFAULTS, environmentOf } from './deliveryfile-peek';

const RELATIVE_PATH = /^(?!\/)(?!.*(?:^|\/)\.\.?(?:\/|$))[A-Za-z0-9._/-]+$/;
const ROUTE_PATH = /^\/[A-Za-z0-9._~/-]*$/;
const ROUTE_HOST = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const REGISTRY = /^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?$/;
const REPOSITORY_WITH_HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const ENV_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const SERVICE = /^[a-zA-Z0-9][a-zA-Z0-9._-]*$/;

const msg = (m: string) => ({ error: m });
const int = (min: number, max: number, what: string) =>
  z.number(msg(`expected ${what}: a whole number from ${min} to ${max}`)).int(msg(`expected ${what}: a whole number`)).min(min, msg(`expected ${what} of at least ${min}`)).max(max, msg(`expected ${what} of at most ${max}`));
const relPath = z.string(msg('expected a path')).regex(RELATIVE_PATH, msg('expected a path relative to the Deliveryfile\'s folder (letters, digits, ._-/; no leading "/", no ".." or "." parts)'));

const deploymentObject = z.strictObject({
  mode: z.enum(DEPLOY_MODES, msg(`expected one of ${DEPLOY_MODES.join(', ')}`)).default('parallel'),
  concurrency: int(1, 1000, 'hosts deployed at once').optional(),
  batch: z
    .union([int(1, 10000, 'hosts per batch'), z.string().regex(/^(?:[1-9][0-9]?|100)%$/, msg('expected a percentage from 1% to 100%'))], msg('expected hosts per batch: a count (2) or a percentage ("25%")'))
    .optional(),
  canary: int(1, 10000, 'canary hosts').optional(),
  'on-failure': z.enum(ON_FAILURE, msg(`expected one of ${ON_FAILURE.join(', ')}`)).optional(),
});

const routeSchema = z
  .strictObject({
    service: z.string(msg('expected the compose service that receives the traffic')).regex(SERVICE, msg('expected a compose service name')),
    port: int(1, 65535, 'the container port of the service'),
    path: z.string().regex(ROUTE_PATH, msg('expected a path prefix such as /app/ (characters A-Za-z0-9._~/-)')).optional(),
    host: z.string().regex(ROUTE_HOST, msg('expected a host name such as app.example.org')).optional(),
    strip_prefix: z.boolean(msg('expected true or false')).default(DEFAULTS.stripPrefix),
  })
  .refine((r) => r.path !== undefined || r.host !== undefined, msg('expected "path" (a prefix such as /app/) or "host" (a host name), or both'));

const previewSchema = z.strictObject({
  route: z
    .strictObject({
      path: z.string().regex(/^\/[A-Za-z0-9._~/{}-]*$/, msg('expected a path template such as /pr-{number}/')).optional(),
      host: z.string().regex(/^[A-Za-z0-9.{}-]+$/, msg('expected a host template such as pr-{number}.qa.example.org')).optional(),
    })
    .refine((r) => r.path !== undefined || r.host !== undefined, msg('expected "path" or "host" with {number} in it'))
    .refine((r) => (r.path ?? '').includes('{number}') || (r.host ?? '').includes('{number}'), msg('the template must contain {number} so every pull request gets a route of its own')),
  url: z.string().regex(/^https?:\/\/\S+$/, msg('expected a URL template such as https://qa.example.org/pr-{number}/')).optional(),
  environment: z.string().regex(ENV_NAME).optional(),
});

const environmentSchema = z.strictObject({
  cluster: z.array(z.unknown(), msg('expected a list of cluster sources (paths, https:// URLs, or {hosts: […]})')).min(1, msg('expected at least one cluster source')),
  files: z.array(relPath, msg('expected a list of compose files')).min(1, msg('expected at least one compose file')),
  env_files: z.array(relPath, msg('expected a list of env files')).default([]),
  secrets: z.array(z.string().refine(isSecretName, msg('expected a secret name ([A-Za-z0-9_.-]+)')), msg('expected a list of secret names')).default([]),
});

const imageRepository = z
  .string(msg('expected an image repository'))
  .regex(REPOSITORY_WITH_HOST, msg('expected an image repository without tag or digest, such as registry.example.org/group/app'));

export const deliveryfileSchema = z.strictObject({
  version: z
    .union([z.literal(1), z.literal('1'), z.literal('1.0')], msg('expected version 1.0 (the only version there is)'))
    .default(1)
    .transform(() => 1 as const),
  application: z.string(msg('expected group/app')).superRefine((s, ctx) => {
    const problem = applicationProblem(s);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
  deployment: z.preprocess((v) => (typeof v === 'string' ? { mode: v } : v), deploymentObject).default({ mode: 'parallel' }),
  ssh: z
    .strictObject({
      user: z.string().regex(SSH_USER, msg(`expected a user name (${SSH_USER.source})`)).default(DEFAULTS.sshUser),
      port: int(1, 65535, 'the SSH port').default(DEFAULTS.sshPort),
      jump_host: z.string().regex(JUMP_HOST, msg('expected [user@]host[:port]')).optional(),
    })
    .default({ user: DEFAULTS.sshUser, port: DEFAULTS.sshPort }),
  route: routeSchema.optional(),
  health: z
    .strictObject({
      // Unset: the host's HEALTH_TIMEOUT and stability window apply.
      timeout: int(1, 3600, 'seconds').optional(),
      stable: int(0, 600, 'seconds').optional(),
      path: z.string().regex(ROUTE_PATH, msg('expected an HTTP path such as /health')).optional(),
    })
    .default({}),
  // Unset: the host's KEEP_RELEASES applies.
  keep: int(1, 100, 'releases kept on each host').optional(),
  // Seconds the old color stays up after a switch, so a rollback is only a
  // router switch (0: off). Unset: the host's ROLLBACK_WINDOW applies.
  rollback_window: int(0, 86400, 'seconds the old color stays up after a switch (0: off)').optional(),
  router: z.enum(ROUTERS, msg(`expected ${ROUTERS.join(' or ')}`)).optional(),
  registry: z.string().regex(REGISTRY, msg('expected a registry host such as registry.example.org or 127.0.0.1:5000')).optional(),
  preview: previewSchema.optional(),
  images: z
    .record(z.string().regex(SERVICE, msg('expected a compose service name')), imageRepository, msg('expected a map of compose service to image repository'))
    .default({}),
  environments: z.record(z.string().regex(ENV_NAME, msg('invalid environment name: expected letters, digits, ".", "_" and "-"')), environmentSchema, msg('expected a map of environments (qa:, prod:, …)')),
});

export type DeliveryfileData = z.output<typeof deliveryfileSchema>;
export type EnvironmentData = z.output<typeof environmentSchema>;

export interface Deliveryfile {
  /** The file as the user named it (for messages). */
  file: string;
  source: YamlSource;
  data: DeliveryfileData;
  mode: DeployMode;
  concurrency: number;
  /** Hosts per batch in rolling mode: a count, or a percentage string "25%". */
  batch: number | string;
  canary: number;
  onFailure: OnFailure;
  router: Router | null;
}

// ---------------------------------------------------------------------------
// Turning zod issues into one positioned line each.

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  return `${typeof v} ${String(v)}`;
}

/** The zod object schema reached by `path`, for the list of allowed keys. */
function schemaAt(schema: z.ZodType, path: FieldPath): z.ZodType | null {
  let s: z.ZodType | null = schema;
  const unwrap = (t: z.ZodType): z.ZodType => {
    for (let i = 0; i < 10; i++) {
      const def = (t as unknown as { def: Record<string, unknown> }).def;
      if (def.type === 'optional' || def.type === 'default' || def.type === 'nullable' || def.type === 'prefault') t = def.innerType as z.ZodType;
      else if (def.type === 'pipe') t = (def.in as z.ZodType as unknown as { def: { type: string } }).def.type === 'transform' ? (def.out as z.ZodType) : (def.in as z.ZodType);
      else break;
    }
    return t;
  };
  for (const seg of path) {
    if (!s) return null;
    s = unwrap(s);
    const def = (s as unknown as { def: Record<string, unknown> }).def;
    if (def.type === 'object') s = ((def.shape as Record<string, z.ZodType>)[String(seg)] ?? null);
    else if (def.type === 'record') s = def.valueType as z.ZodType;
    else if (def.type === 'array') s = def.element as z.ZodType;
    else return null;
  }
  return s ? unwrap(s) : null;
}

function keysAt(schema: z.ZodType, path: FieldPath): string[] {
  const s = schemaAt(schema, path);
  const def = s ? (s as unknown as { def: Record<string, unknown> }).def : null;
  return def && def.type === 'object' ? Object.keys(def.shape as object) : [];
}

/** The longest prefix of `path` that exists in the file (a preprocessed `deployment: rolling` → `deployment`). */
function existing(path: FieldPath, src: YamlSource): FieldPath {
  let p = path;
  while (p.length && !src.has(p)) p = p.slice(0, -1);
  return p;
}

interface Finding {
  path: FieldPath;
  key: boolean;
  message: string;
}

function findingOf(issue: z.core.$ZodIssue, src: YamlSource, schema: z.ZodType): Finding {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case 'unrecognized_keys': {
      const key = issue.keys[0];
      const allowed = keysAt(schema, path);
      const hint = didYouMean(key, allowed);
      return {
        path: [...path, key],
        key: true,
        message: `unknown key${hint ? `; did you mean "${hint}"?` : ''}${allowed.length ? ` (allowed here: ${allowed.join(', ')})` : ''}`,
      };
    }
    case 'invalid_key': {
      const inner = issue.issues[0]?.message ?? 'invalid key';
      return { path, key: true, message: inner };
    }
    case 'invalid_type': {
      if (input === undefined && !src.has(path)) {
        const parent = path.slice(0, -1);
        return { path: parent, key: false, message: `missing key "${String(path[path.length - 1])}"${issue.message.startsWith('expected') ? ` (${issue.message})` : ''}` };
      }
      const names: Record<string, string> = { object: 'a map', array: 'a list', record: 'a map' };
      const expected = issue.message.startsWith('Invalid input') ? `expected ${names[issue.expected] ?? issue.expected}` : issue.message;
      return { path: existing(path, src), key: false, message: `${expected}, got ${describe(input)}` };
    }
    case 'invalid_value':
    case 'invalid_format':
    case 'invalid_union':
    case 'too_small':
    case 'too_big':
    case 'custom':
    default: {
      let m = issue.message;
      if (m.startsWith('Invalid option: expected one of')) m = 'expected one of ' + issue.message.slice('Invalid option: expected one of '.length).split('|').map((s) => s.replace(/"/g, '')).join(', ');
      if (input !== undefined && !m.includes(' got ')) m = `${m}, got ${describe(input)}`;
      const values = issue.code === 'invalid_value' ? issue.values.filter((v): v is string => typeof v === 'string') : [];
      const hint = typeof input === 'string' ? didYouMean(input, values) : null;
      if (hint) m += `; did you mean "${hint}"?`;
      return { path: existing(path, src), key: false, message: m };
    }
  }
}

function ownRecord<T extends z.ZodType>(raw: unknown, schema: T, at: FieldPath, src: YamlSource, errors: string[], key: RegExp): Record<string, z.output<T>> {
  const out: Record<string, z.output<T>> = Object.create(null);
  if (!raw || typeof raw !== 'object') return out;
  for (const [k, v] of Object.entries(raw)) {
    if (!key.test(k)) {
      errors.push(`${src.where([...at, k], true)}: invalid name ${JSON.stringify(k)}: expected ${key.source}`);
      continue;
    }
    const r = schema.safeParse(v, { reportInput: true, jitless: true });
    if (r.success) out[k] = r.data;
    else {
      for (const issue of r.error.issues) {
        const f = findingOf({ ...issue, path: [...at, k, ...issue.path] } as z.core.$ZodIssue, src, deliveryfileSchema);
        errors.push(`${src.where(f.path, f.key)}: ${f.message}`);
      }
    }
  }
  return out;
}

/** Every finding, in the order they appear in the file. */
export function validate(src: YamlSource): { data?: DeliveryfileData; errors: string[] } {
  // Top-level `x-…` keys are free, for YAML anchors (as in compose files).
  const raw = (src.data ?? {}) as Record<string, unknown>;
  const data = typeof raw === 'object' && !Array.isArray(raw) ? Object.assign(Object.create(null), Object.fromEntries(Object.entries(raw).filter(([k]) => !k.startsWith('x-')))) : raw;
  // parsed once per run: zod's compiled fast path (new Function per object) would not pay
  const result = deliveryfileSchema.safeParse(data, { reportInput: true, jitless: true });
  if (result.success) {
    // zod builds records as plain objects, where a key `__proto__` is lost
    // and `constructor` is inherited: rebuild them without a prototype.
    // zod also skips the value of a `__proto__` key: check it here.
    const d = data as Record<string, unknown>;
    const errors: string[] = [];
    result.data.images = ownRecord(d.images, imageRepository, ['images'], src, errors, SERVICE) as DeliveryfileData['images'];
    result.data.environments = ownRecord(d.environments, environmentSchema, ['environments'], src, errors, ENV_NAME) as DeliveryfileData['environments'];
    return errors.length ? { errors } : { data: result.data, errors: [] };
  }
  const findings = result.error.issues.map((i) => findingOf(i, src, deliveryfileSchema));
  const positioned = findings.map((f) => ({ f, pos: src.pos(f.path, f.key) }));
  positioned.sort((a, b) => a.pos.line - b.pos.line || a.pos.col - b.pos.col);
  return { errors: positioned.map(({ f }) => `${src.where(f.path, f.key)}: ${f.message}`) };
}

/**
 * Parses and validates a Deliveryfile's text. `file` is the name used in
 * messages. Throws a ConfigurationError: the first problem (in file order)
 * on the first line, then up to nine more, one a line.
 */
export function parseDeliveryfile(text: string, file = 'Deliveryfile'): Deliveryfile {
  return parseDeliveryfileSource(new YamlSource(file, text));
}

/** The same, for the file's YAML already parsed (what peekFleet read). */
export function parseDeliveryfileSource(src: YamlSource): Deliveryfile {
  const file = src.file;
  if (src.data === null || src.data === undefined) throw new ConfigurationError(`${file}:1:1: the file is empty; expected at least "application:" and "environments:"`);
  if (typeof src.data !== 'object' || Array.isArray(src.data)) throw src.error([], `expected a map with "application:" and "environments:", got ${describe(src.data)}`);
  const { data, errors } = validate(src);
  if (!data) {
    const shown = errors.slice(0, 10);
    if (errors.length > shown.length) shown.push(`… and ${errors.length - shown.length} more`);
    throw new ConfigurationError(shown.join('\n'));
  }
  if (Object.keys(data.environments).length === 0) throw src.error(['environments'], 'expected at least one environment (qa:, prod:, …)');
  const d = data.deployment;
  return {
    file,
    source: src,
    data,
    mode: d.mode,
    concurrency: d.concurrency ?? DEFAULTS.concurrency,
    batch: d.batch ?? DEFAULTS.batch,
    canary: d.canary ?? DEFAULTS.canary,
    onFailure: d['on-failure'] ?? DEFAULTS.onFailure,
    router: data.router ?? null,
  };
}


