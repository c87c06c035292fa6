import { ConfigurationError } from './errors';
import type { HostSpec } from './types';
import { didYouMean, type FieldPath, type YamlSource } from './yaml-source';

/**
 * Cluster files (docs/protocol.md, "Cluster files"):
 *
 *     http_port: 80                  # optional, where each host's router listens
 *     hosts:
 *       - web1.example.org           # host[:port], [v6addr]:port, user@host[:port]
 *       - host: web2.example.org
 *         port: 2222                 # SSH port
 *         user: deploy
 *         name: web2
 *         http_port: 8080
 *         host_keys: [ssh-ed25519 AAAA…, SHA256:…]
 *
 * or just the list of hosts (a bare YAML list). An empty file is no host;
 * whether that is an error is decided once all sources are merged.
 */

const HOST_KEYS = ['host', 'port', 'user', 'name', 'host_keys', 'http_port'] as const;
const FILE_KEYS = ['hosts', 'http_port'] as const;

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const DNS_NAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*\\.?$`);
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const IPV6 = /^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*$/;
const USER = /^[a-z_][a-z0-9_.-]{0,31}$/;
const HOST_NAME = /^[A-Za-z0-9._:@-]{1,100}$/;
const KEY_TYPES = [
  'ssh-ed25519',
  'ssh-rsa',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
];
const PUBLIC_KEY = /^(\S+) ([A-Za-z0-9+/]+={0,3})(?: .*)?$/;
const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}=?$/;

export function isHostAddress(h: string): boolean {
  if (h.length === 0 || h.length > 253) return false;
  if (IPV4.test(h)) return true;
  if (h.includes(':')) return IPV6.test(h);
  if (/^[0-9.]+$/.test(h)) return false; // looks like a broken IPv4
  return DNS_NAME.test(h);
}

/** Why `key` is not a pinnable host key, or null. */
export function hostKeyProblem(key: string): string | null {
  if (FINGERPRINT.test(key)) return null;
  const m = PUBLIC_KEY.exec(key);
  if (m && KEY_TYPES.includes(m[1])) return null;
  if (KEY_TYPES.some((t) => key.includes(` ${t} `)))
    return 'expected the key without the host names in front (as in known_hosts after the names): "ssh-ed25519 AAAA…"';
  return `expected a public key ("ssh-ed25519 AAAA…", types: ${KEY_TYPES.slice(0, 5).join(', ')}) or a fingerprint ("SHA256:" + 43 base64 characters)`;
}

interface Ctx {
  src: YamlSource;
  source: string;
  defaultPort: number;
  httpPort: number;
}

function portOf(v: unknown, ctx: Ctx, path: FieldPath, what: string): number {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 65535) {
    throw ctx.src.error(path, `invalid ${what} ${JSON.stringify(v)}: expected a whole number from 1 to 65535`);
  }
  return n;
}

function displayName(host: string, port: number, defaultPort: number): string {
  const h = host.includes(':') ? `[${host}]` : host;
  return port === defaultPort ? host : `${h}:${port}`;
}

function hostFromString(s: string, ctx: Ctx, path: FieldPath): HostSpec {
  let rest = s.trim();
  let user: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    user = rest.slice(0, at);
    rest = rest.slice(at + 1);
    if (!USER.test(user)) throw ctx.src.error(path, `invalid user ${JSON.stringify(user)} in ${JSON.stringify(s)}: expected ${USER.source}`);
  }
  let host = rest;
  let port = ctx.defaultPort;
  const v6 = /^\[([^\]]+)\](?::(.*))?$/.exec(rest);
  if (v6) {
    host = v6[1];
    if (v6[2] !== undefined) port = portOf(v6[2], ctx, path, 'port');
  } else if ((rest.match(/:/g) ?? []).length === 1) {
    const i = rest.indexOf(':');
    host = rest.slice(0, i);
    port = portOf(rest.slice(i + 1), ctx, path, 'port');
  }
  if (!isHostAddress(host)) {
    throw ctx.src.error(path, `invalid host ${JSON.stringify(s)}: expected host[:port] with a DNS name or IP address (IPv6 as [addr]:port)`);
  }
  return {
    name: displayName(host, port, ctx.defaultPort),
    host,
    port,
    ...(user ? { user } : {}),
    hostKeys: [],
    httpPort: ctx.httpPort,
    source: ctx.source,
  };
}

function unknownKeys(obj: Record<string, unknown>, allowed: readonly string[], ctx: Ctx, path: FieldPath) {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) {
      const hint = didYouMean(k, allowed);
      throw ctx.src.error([...path, k], `unknown key${hint ? `; did you mean "${hint}"?` : ''} (allowed: ${allowed.join(', ')})`, true);
    }
  }
}

function hostFromObject(o: Record<string, unknown>, ctx: Ctx, path: FieldPath): HostSpec {
  unknownKeys(o, HOST_KEYS, ctx, path);
  if (typeof o.host !== 'string') {
    throw ctx.src.error(o.host === undefined ? path : [...path, 'host'], o.host === undefined ? 'missing key "host"' : 'expected the host name or IP address as a string');
  }
  const host = o.host.replace(/^\[(.*)\]$/, '$1');
  if (!isHostAddress(host)) throw ctx.src.error([...path, 'host'], `invalid host ${JSON.stringify(o.host)}: expected a DNS name or IP address`);
  const port = o.port === undefined ? ctx.defaultPort : portOf(o.port, ctx, [...path, 'port'], 'port');
  const httpPort = o.http_port === undefined ? ctx.httpPort : portOf(o.http_port, ctx, [...path, 'http_port'], 'http_port');
  let user: string | undefined;
  if (o.user !== undefined) {
    if (typeof o.user !== 'string' || !USER.test(o.user)) throw ctx.src.error([...path, 'user'], `invalid user ${JSON.stringify(o.user)}: expected ${USER.source}`);
    user = o.user;
  }
  let name = displayName(host, port, ctx.defaultPort);
  if (o.name !== undefined) {
    if (typeof o.name !== 'string' || !HOST_NAME.test(o.name)) throw ctx.src.error([...path, 'name'], `invalid name ${JSON.stringify(o.name)}: expected ${HOST_NAME.source}`);
    name = o.name;
  }
  const hostKeys: string[] = [];
  if (o.host_keys !== undefined) {
    const keys = typeof o.host_keys === 'string' ? [o.host_keys] : o.host_keys;
    if (!Array.isArray(keys)) throw ctx.src.error([...path, 'host_keys'], 'expected a list of public keys or SHA256: fingerprints');
    keys.forEach((k, i) => {
      const p = typeof o.host_keys === 'string' ? [...path, 'host_keys'] : [...path, 'host_keys', i];
      if (typeof k !== 'string') throw ctx.src.error(p, 'expected a public key or fingerprint as a string');
      const problem = hostKeyProblem(k.trim());
      if (problem) throw ctx.src.error(p, problem);
      hostKeys.push(k.trim());
    });
  }
  return { name, host, port, ...(user ? { user } : {}), hostKeys, httpPort, source: ctx.source };
}

/**
 * Hosts of one cluster value (a parsed cluster file, or an inline cluster of
 * the Deliveryfile at `path`). `source` names where it came from for later
 * messages (file path or URL).
 */
export function parseCluster(
  src: YamlSource,
  opts: { path?: FieldPath; value?: unknown; source?: string; defaultPort?: number } = {},
): HostSpec[] {
  const path = opts.path ?? [];
  const value = 'value' in opts ? opts.value : src.data;
  const ctx: Ctx = { src, source: opts.source ?? src.file, defaultPort: opts.defaultPort ?? 22, httpPort: 80 };
  if (value === null || value === undefined) return [];
  let list: unknown;
  let listPath: FieldPath = path;
  if (Array.isArray(value)) {
    list = value;
  } else if (typeof value === 'object') {
    const o = value as Record<string, unknown>;
    unknownKeys(o, FILE_KEYS, ctx, path);
    if (o.http_port !== undefined) ctx.httpPort = portOf(o.http_port, ctx, [...path, 'http_port'], 'http_port');
    list = o.hosts ?? [];
    listPath = [...path, 'hosts'];
    if (!Array.isArray(list)) throw ctx.src.error(listPath, 'expected a list of hosts (host[:port] strings or {host, port, user, name, host_keys, http_port})');
  } else {
    throw ctx.src.error(path, 'expected a cluster: a list of hosts, or a map with "hosts:"');
  }
  return (list as unknown[]).map((item, i) => {
    const p = [...listPath, i];
    if (typeof item === 'string') return hostFromString(item, ctx, p);
    if (item && typeof item === 'object' && !Array.isArray(item)) return hostFromObject(item as Record<string, unknown>, ctx, p);
    throw ctx.src.error(p, 'expected host[:port] or {host, port, user, name, host_keys, http_port}');
  });
}

/**
 * Merges host lists in order; the first of two entries with the same
 * address and port wins (host keys are combined). Two different hosts may
 * not share a display name.
 */
export function mergeHosts(lists: readonly HostSpec[][]): HostSpec[] {
  const byAddress = new Map<string, HostSpec>();
  const byName = new Map<string, HostSpec>();
  for (const list of lists) {
    for (const h of list) {
      const key = `${h.host.toLowerCase().replace(/\.$/, '')}:${h.port}`;
      const seen = byAddress.get(key);
      if (seen) {
        for (const k of h.hostKeys) if (!seen.hostKeys.includes(k)) seen.hostKeys.push(k);
        continue;
      }
      const clash = byName.get(h.name);
      if (clash) {
        throw new ConfigurationError(
          `host name ${JSON.stringify(h.name)} is used by two hosts: ${clash.host}:${clash.port} (${clash.source}) and ${h.host}:${h.port} (${h.source}); give them distinct names`,
        );
      }
      const copy = { ...h, hostKeys: [...h.hostKeys] };
      byAddress.set(key, copy);
      byName.set(h.name, copy);
    }
  }
  return [...byAddress.values()];
}
