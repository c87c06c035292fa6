/**
 * A bad SSH key says which kinds are accepted and how to check one locally,
 * in the caller's words (a CLI flag, or the input of action.yml). The keys
 * are made by the real ssh-keygen / openssl.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_NAMING, INPUT_NAMING, type RunContext } from '../../src/cli/command';
import { checkKey } from '../../src/cli/fleet';
import { ConfigurationError } from '../../src/core/errors';
import { MemoryLogger } from '../../src/core/logger';

const dir = mkdtempSync(path.join(tmpdir(), 'cli-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const keygen = (name: string, ...args: string[]) => {
  execFileSync('ssh-keygen', ['-q', '-f', path.join(dir, name), ...args]);
  return readFileSync(path.join(dir, name), 'utf8');
};
const ed = keygen('ed', '-t', 'ed25519', '-N', '');
const edPub = readFileSync(path.join(dir, 'ed.pub'), 'utf8');
const edPw = keygen('edpw', '-t', 'ed25519', '-N', 'secret-phrase');
const rsaPem = keygen('rsa', '-t', 'rsa', '-b', '2048', '-m', 'PEM', '-N', '');
execFileSync('openssl', ['genpkey', '-algorithm', 'ed25519', '-out', path.join(dir, 'p8.pem')]);
const pkcs8 = readFileSync(path.join(dir, 'p8.pem'), 'utf8');

const cli: RunContext = { env: {}, logger: new MemoryLogger(), naming: CLI_NAMING };
const action: RunContext = { env: {}, logger: new MemoryLogger(), naming: INPUT_NAMING };
const refusal = (ctx: RunContext, key: string, pass?: string): string => {
  try {
    checkKey(ctx, key, pass);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigurationError);
    return (err as Error).message;
  }
  return 'accepted';
};

describe('checkKey', () => {
  it('accepts an OpenSSH key, a PEM RSA key, and an encrypted key with its passphrase', () => {
    expect(refusal(cli, ed)).toBe('accepted');
    expect(refusal(cli, rsaPem)).toBe('accepted');
    expect(refusal(cli, edPw, 'secret-phrase')).toBe('accepted');
  });

  it('an encrypted key without passphrase: says it needs one, and where to give it', () => {
    expect(refusal(cli, edPw)).toMatch(/^--ssh-key: the key is encrypted and needs its passphrase: give it in --ssh-passphrase/);
    expect(refusal(action, edPw)).toMatch(/^input "ssh-key": the key is encrypted and needs its passphrase: give it in input "ssh-passphrase"/);
  });

  it('a wrong passphrase', () => {
    expect(refusal(action, edPw, 'wrong')).toMatch(/^input "ssh-key": the passphrase in input "ssh-passphrase" does not open the key/);
  });

  it.each([
    ['a public key', edPub, /this is a public key; give the private key/],
    ['PKCS#8', pkcs8, /cannot use the private key \(Unsupported key format\)/],
    ['garbage', 'not a key at all', /cannot use the private key/],
  ])('%s: refused with the accepted kinds and how to check', (_n, key, what) => {
    const m = refusal(action, key);
    expect(m).toMatch(/^input "ssh-key": /);
    expect(m).toMatch(what);
    expect(m).toContain('an OpenSSH private key (-----BEGIN OPENSSH PRIVATE KEY-----');
    expect(m).toContain('a PEM key (-----BEGIN RSA PRIVATE KEY-----');
    expect(m).toContain('`ssh-keygen -p -f FILE` rewrites an RSA or EC one in the OpenSSH format');
    expect(m).toContain('`ssh-keygen -y -f FILE`');
    expect(m).not.toContain(key.trim().split('\n')[1] ?? key);
  });
});
