/**
 * Host key verification, as OpenSSH does it, without I/O: known_hosts text
 * (plain and hashed `|1|salt|hash` names, `[host]:port`, wildcards and
 * negations, several key types per host, `@revoked`) and the cluster file's
 * pinned `host_keys` (public keys or `SHA256:` fingerprints).
 *
 * `verifyHostKey` is called from ssh2's hostVerifier, i.e. during the key
 * exchange, before the client authenticates: a refused host never sees our
 * key or signature.
 */
import { createHash, createHmac } from 'node:crypto';
import { ConfigurationError } from '../core/errors';

export interface KnownHostEntry {
  marker: 'revoked' | 'cert-authority' | null;
  /** Comma-separated patterns as written, or one `|1|salt|hash`. */
  hosts: string;
  keyType: string;
  key: Buffer;
  /** For messages: `known-hosts:12` */
  where: string;
}

/** The key type stored at the start of an SSH public key blob (`ssh-ed25519`, …). */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const n = blob.readUInt32BE(0);
  if (n <= 0 || n > 64 || 4 + n > blob.length) return 'unknown';
  return blob.subarray(4, 4 + n).toString('latin1');
}

/** OpenSSH's fingerprint: `SHA256:` + unpadded base64 of the blob's SHA-256. */
export function fingerprint(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise. */
export function hostLookupName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

const KEY_TYPE = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|ssh-dss|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com|ssh-ed448)$/;

/** Decodes `TYPE BASE64 [comment]`; null when it is not a public key line. */
export function parsePublicKey(text: string): { keyType: string; key: Buffer } | null {
  const parts = text.trim().split(/\s+/);
  if (parts.length < 2 || !KEY_TYPE.test(parts[0]) || !/^[A-Za-z0-9+/]+={0,2}$/.test(parts[1])) return null;
  const key = Buffer.from(parts[1], 'base64');
  if (keyTypeOf(key) !== parts[0]) return null;
  return { keyType: parts[0], key };
}

/**
 * Parses known_hosts text. Comments, blank lines and lines this client
 * cannot use are skipped; a line that looks like a host key but does not
 * decode is an error naming its line (a typo must not silently drop a pin).
 */
export function parseKnownHosts(text: string, source = 'known-hosts'): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const where = `${source}:${i + 1}`;
    let fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'] = null;
    if (fields[0].startsWith('@')) {
      if (fields[0] === '@revoked') marker = 'revoked';
      else if (fields[0] === '@cert-authority') marker = 'cert-authority';
      else throw new ConfigurationError(`${where}: unknown marker ${fields[0]} (expected @revoked or @cert-authority)`);
      fields = fields.slice(1);
    }
    if (fields.length < 3) {
      throw new ConfigurationError(`${where}: expected "HOSTS KEYTYPE BASE64KEY", got ${JSON.stringify(line.slice(0, 60))}`);
    }
    const pk = parsePublicKey(fields.slice(1).join(' '));
    if (!pk) {
      throw new ConfigurationError(`${where}: ${JSON.stringify(fields[1])} key does not decode (expected a key type such as ssh-ed25519 and its base64 key)`);
    }
    entries.push({ marker, hosts: fields[0], keyType: pk.keyType, key: pk.key, where });
  });
  return entries;
}

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

/** Does this entry's host field name `host:port`? (OpenSSH's match_hostname rules.) */
export function entryMatches(hosts: string, host: string, port: number): boolean {
  const name = hostLookupName(host, port);
  if (hosts.startsWith('|1|')) {
    const [, , salt64, hash64] = hosts.split('|');
    if (!salt64 || !hash64) return false;
    const mac = createHmac('sha1', Buffer.from(salt64, 'base64')).update(name).digest();
    const want = Buffer.from(hash64, 'base64');
    return want.length === mac.length && mac.equals(want);
  }
  let matched = false;
  for (const pattern of hosts.split(',')) {
    if (!pattern) continue;
    const negated = pattern.startsWith('!');
    const p = negated ? pattern.slice(1) : pattern;
    if (globToRegExp(p).test(name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

/** Hashes a host name as `ssh-keygen -H` does (for tests and for the pin hint). */
export function hashHostName(name: string, salt: Buffer): string {
  const mac = createHmac('sha1', salt).update(name).digest('base64');
  return `|1|${salt.toString('base64')}|${mac}`;
}

export interface HostKeyPolicy {
  /** Entries from known-hosts. */
  knownHosts: KnownHostEntry[];
  /** The cluster file's host_keys for this host: public key lines or SHA256: fingerprints. When any is given, known_hosts is not consulted for this host. */
  pinned: readonly string[];
}

export type HostKeyVerdict =
  | { ok: true; by: string }
  | { ok: false; reason: 'revoked' | 'changed' | 'unknown'; message: string };

/**
 * The host key algorithms to offer for this host, most preferred first, so
 * that a server with several keys shows the one we know (as OpenSSH orders
 * them by known_hosts). Null: no preference (only fingerprints are known).
 */
export function preferredHostKeyAlgorithms(host: string, port: number, policy: HostKeyPolicy): string[] | null {
  const types = new Set<string>();
  for (const e of policy.knownHosts) {
    if (e.marker === null && entryMatches(e.hosts, host, port)) types.add(e.keyType);
  }
  for (const p of policy.pinned) {
    if (/^SHA256:/.test(p.trim())) return null;
    const pk = parsePublicKey(p);
    if (pk) types.add(pk.keyType);
  }
  if (types.size === 0) return null;
  const algos: string[] = [];
  for (const t of types) {
    if (t === 'ssh-rsa') algos.push('rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa');
    else algos.push(t);
  }
  return algos;
}

/**
 * Checks the key a server offered. `label` is the host as the messages name
 * it, e.g. `web2 (10.0.0.2:22)`.
 */
export function verifyHostKey(
  label: string,
  host: string,
  port: number,
  offered: Buffer,
  policy: HostKeyPolicy,
): HostKeyVerdict {
  const fp = fingerprint(offered);
  const type = keyTypeOf(offered);
  const lookup = hostLookupName(host, port);
  const pinHint =
    `if ${fp} is this host's key (check on the host: ssh-keygen -lf /etc/ssh/ssh_host_${type.replace(/^ssh-|-sha2-nistp\d+$/g, '')}_key.pub), ` +
    `add the line "${lookup} ${type} ${offered.toString('base64')}" to known-hosts, or "${fp}" to this host's host_keys in the cluster file`;

  for (const e of policy.knownHosts) {
    if (e.marker === 'revoked' && e.key.equals(offered)) {
      return {
        ok: false,
        reason: 'revoked',
        message: `host ${label}: host key ${fp} (${type}) is marked @revoked in ${e.where}; refusing to connect`,
      };
    }
  }
  const known: string[] = [];
  for (const p of policy.pinned) {
    const t = p.trim();
    if (/^SHA256:/.test(t)) {
      if (t.replace(/=+$/, '') === fp) return { ok: true, by: 'host_keys fingerprint' };
      known.push(t);
      continue;
    }
    const pk = parsePublicKey(t);
    if (!pk) continue;
    if (pk.key.equals(offered)) return { ok: true, by: 'host_keys' };
    known.push(fingerprint(pk.key));
  }
  // Keys pinned in the cluster file are authoritative for their host:
  // known_hosts is only consulted for hosts without pins.
  if (known.length > 0) {
    return {
      ok: false,
      reason: 'changed',
      message:
        `host ${label}: host key ${fp} (${type}) does NOT match the host_keys pinned in the cluster file (${known.join(', ')}); ` +
        `the host may have been reinstalled, or someone may be intercepting the connection. Refusing before authentication; ` +
        `if ${fp} is this host's new key, replace its host_keys entry with "${fp}"`,
    };
  }
  for (const e of policy.knownHosts) {
    if (e.marker !== null || !entryMatches(e.hosts, host, port)) continue;
    if (e.key.equals(offered)) return { ok: true, by: e.where };
    known.push(`${fingerprint(e.key)} (${e.where})`);
  }
  if (known.length > 0) {
    return {
      ok: false,
      reason: 'changed',
      message:
        `host ${label}: host key ${fp} (${type}) does NOT match the key known for ${lookup} (${known.join(', ')}); ` +
        `the host may have been reinstalled, or someone may be intercepting the connection. Refusing before authentication; ` +
        `${pinHint}, and remove the old entry`,
    };
  }
  return {
    ok: false,
    reason: 'unknown',
    message: `host ${label}: host key ${fp} (${type}) is not in known-hosts and the cluster file pins no key for ${lookup}; refusing before authentication; ${pinHint}`,
  };
}
