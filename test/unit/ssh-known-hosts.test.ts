import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  entryMatches,
  fingerprint,
  hashHostName,
  keyTypeOf,
  parseKnownHosts,
  parsePublicKey,
  preferredHostKeyAlgorithms,
  verifyHostKey,
} from '../../src/ssh/known-hosts';

// Real keys from OpenSSH's ssh-keygen, so fingerprints and hashed names are
// checked against OpenSSH itself rather than against our own idea of them.
let dir: string;
const keys: Record<string, { line: string; blob: Buffer; fp: string }> = {};

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'delivery-kh-'));
  for (const [type, extra] of [
    ['ed25519', []],
    ['ecdsa', ['-b', '256']],
    ['rsa', ['-b', '2048']],
  ] as const) {
    const f = path.join(dir, type);
    execFileSync('ssh-keygen', ['-q', '-t', type, ...extra, '-N', '', '-C', 'test', '-f', f]);
    const line = readFileSync(`${f}.pub`, 'utf8').trim();
    const fp = execFileSync('ssh-keygen', ['-lf', `${f}.pub`], { encoding: 'utf8' }).split(' ')[1];
    keys[type] = { line, blob: Buffer.from(line.split(' ')[1], 'base64'), fp };
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pub = (t: string) => keys[t].line.split(' ').slice(0, 2).join(' ');

describe('fingerprints and key types', () => {
  it('match ssh-keygen -l for ed25519, ecdsa and rsa', () => {
    for (const t of ['ed25519', 'ecdsa', 'rsa']) {
      expect(fingerprint(keys[t].blob)).toBe(keys[t].fp);
    }
    expect(keyTypeOf(keys.ed25519.blob)).toBe('ssh-ed25519');
    expect(keyTypeOf(keys.ecdsa.blob)).toBe('ecdsa-sha2-nistp256');
    expect(keyTypeOf(keys.rsa.blob)).toBe('ssh-rsa');
  });
  it('parsePublicKey refuses a type that does not match the blob', () => {
    expect(parsePublicKey(pub('ed25519'))?.keyType).toBe('ssh-ed25519');
    expect(parsePublicKey('ssh-rsa ' + keys.ed25519.line.split(' ')[1])).toBeNull();
    expect(parsePublicKey('SHA256:abc')).toBeNull();
  });
});

describe('known_hosts matching', () => {
  it('hashed |1| entries written by ssh-keygen -H match, for port 22 and [host]:port', () => {
    const f = path.join(dir, 'known_hosts');
    writeFileSync(f, `web1.example.org ${pub('ed25519')}\n[127.20.0.11]:2222 ${pub('ecdsa')}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', f], { stdio: 'ignore' });
    const entries = parseKnownHosts(readFileSync(f, 'utf8'));
    expect(entries).toHaveLength(2);
    expect(entries.every((e) => e.hosts.startsWith('|1|'))).toBe(true);
    expect(entryMatches(entries[0].hosts, 'web1.example.org', 22)).toBe(true);
    expect(entryMatches(entries[0].hosts, 'web2.example.org', 22)).toBe(false);
    expect(entryMatches(entries[0].hosts, 'web1.example.org', 2222)).toBe(false);
    expect(entryMatches(entries[1].hosts, '127.20.0.11', 2222)).toBe(true);
    expect(entryMatches(entries[1].hosts, '127.20.0.11', 22)).toBe(false);
  });
  it('hashHostName agrees with ssh-keygen -F on a hashed file', () => {
    const salt = Buffer.alloc(20, 7);
    const f = path.join(dir, 'kh2');
    writeFileSync(f, `${hashHostName('[h.example]:2200', salt)} ${pub('ed25519')}\n`);
    const out = execFileSync('ssh-keygen', ['-F', '[h.example]:2200', '-f', f], { encoding: 'utf8' });
    expect(out).toContain('found: line 1');
  });
  it('plain patterns: lists, wildcards, negation, [host]:port', () => {
    expect(entryMatches('a.example,b.example', 'b.example', 22)).toBe(true);
    expect(entryMatches('*.example', 'x.example', 22)).toBe(true);
    expect(entryMatches('*.example,!bad.example', 'bad.example', 22)).toBe(false);
    expect(entryMatches('[10.0.0.?]:2222', '10.0.0.5', 2222)).toBe(true);
    expect(entryMatches('10.0.0.5', '10.0.0.5', 2222)).toBe(false);
    expect(entryMatches('WEB.example', 'web.example', 22)).toBe(true);
  });
  it('skips comments and blank lines, refuses a broken key with its line', () => {
    expect(parseKnownHosts(`# c\n\nh ${pub('rsa')} comment here\n`)).toHaveLength(1);
    expect(() => parseKnownHosts(`# c\nh ssh-ed25519 AAAAnotakey\n`, 'kh')).toThrow(/kh:2: "ssh-ed25519" key does not decode/);
    expect(() => parseKnownHosts(`@bogus h ${pub('rsa')}\n`, 'kh')).toThrow(/unknown marker @bogus/);
  });
});

describe('verifyHostKey', () => {
  const label = 'web1 (127.20.0.11:22)';
  it('accepts the known key among several key types for one host', () => {
    const kh = parseKnownHosts(`127.20.0.11 ${pub('rsa')}\n127.20.0.11 ${pub('ed25519')}\n`);
    const v = verifyHostKey(label, '127.20.0.11', 22, keys.ed25519.blob, { knownHosts: kh, pinned: [] });
    expect(v).toEqual({ ok: true, by: 'known-hosts:2' });
    expect(preferredHostKeyAlgorithms('127.20.0.11', 22, { knownHosts: kh, pinned: [] })).toEqual([
      'rsa-sha2-512',
      'rsa-sha2-256',
      'ssh-rsa',
      'ssh-ed25519',
    ]);
  });
  it('refuses a changed key, showing both fingerprints and how to pin', () => {
    const kh = parseKnownHosts(`127.20.0.11 ${pub('ed25519')}\n`);
    const v = verifyHostKey(label, '127.20.0.11', 22, keys.ecdsa.blob, { knownHosts: kh, pinned: [] });
    expect(v.ok).toBe(false);
    if (v.ok) return;
    expect(v.reason).toBe('changed');
    expect(v.message).toContain(keys.ecdsa.fp);
    expect(v.message).toContain(keys.ed25519.fp);
    expect(v.message).toContain(`"127.20.0.11 ecdsa-sha2-nistp256 ${keys.ecdsa.line.split(' ')[1]}"`);
  });
  it('refuses an unknown host', () => {
    const kh = parseKnownHosts(`other ${pub('ed25519')}\n`);
    const v = verifyHostKey(label, '127.20.0.11', 2222, keys.ed25519.blob, { knownHosts: kh, pinned: [] });
    expect(v.ok).toBe(false);
    if (!v.ok) {
      expect(v.reason).toBe('unknown');
      expect(v.message).toMatch(/not in known-hosts/);
      expect(v.message).toContain(`[127.20.0.11]:2222 ssh-ed25519`);
    }
  });
  it('@revoked wins over a matching entry', () => {
    const kh = parseKnownHosts(`127.20.0.11 ${pub('ed25519')}\n@revoked * ${pub('ed25519')}\n`);
    const v = verifyHostKey(label, '127.20.0.11', 22, keys.ed25519.blob, { knownHosts: kh, pinned: [] });
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.reason).toBe('revoked');
  });
  it('pinned host_keys: public key lines and SHA256 fingerprints', () => {
    const none = { knownHosts: [] };
    expect(verifyHostKey(label, 'h', 22, keys.rsa.blob, { ...none, pinned: [keys.rsa.fp] }).ok).toBe(true);
    expect(verifyHostKey(label, 'h', 22, keys.rsa.blob, { ...none, pinned: [keys.rsa.line] }).ok).toBe(true);
    const v = verifyHostKey(label, 'h', 22, keys.rsa.blob, { ...none, pinned: [keys.ed25519.fp] });
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.reason).toBe('changed');
  });
  it('pins are authoritative: a known_hosts entry does not override a wrong pin', () => {
    const kh = parseKnownHosts(`h ${pub('rsa')}\n`);
    const v = verifyHostKey(label, 'h', 22, keys.rsa.blob, { knownHosts: kh, pinned: [keys.ed25519.fp] });
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.message).toMatch(/does NOT match the host_keys pinned in the cluster file/);
  });
});
