/**
 * The SSH client against a real OpenSSH sshd (test world ID 20): host keys
 * verified before authentication, hashed and [host]:port entries, pinned
 * fingerprints, key types and passphrases, the ssh-agent, the connect timeout.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryLogger } from '../../src/core/logger';
import type { HostSpec } from '../../src/core/types';
import { TransportError } from '../../src/core/protocol';
import { SshConnector, type SshSettingsInput } from '../../src/ssh/connection';
import { parseKnownHosts } from '../../src/ssh/known-hosts';
import { fakeRolloutScript, keygen, startSshd, waitPort, type Sshd } from './fleet-sshd';

const ADDR = '127.20.0.10';
const PORT = 2222;
let dir: string;
let sshd: Sshd;
let clientKey: string;
let rsaKey: string;
let otherKey: string;
const host: HostSpec = { name: 'web1', host: ADDR, port: PORT, hostKeys: [], httpPort: 80, source: 'test', user: 'root' };

beforeAll(async () => {
  execFileSync('mkdir', ['-p', '/work/main/.tmp']);
  dir = mkdtempSync('/work/main/.tmp/fleet-hostkeys-');
  const pubs = [
    keygen(path.join(dir, 'id_ed25519'), 'ed25519'),
    keygen(path.join(dir, 'id_rsa'), 'rsa', 'correct horse'),
    keygen(path.join(dir, 'id_ecdsa'), 'ecdsa'),
  ];
  keygen(path.join(dir, 'id_other'), 'ed25519');
  clientKey = readFileSync(path.join(dir, 'id_ed25519'), 'utf8');
  rsaKey = readFileSync(path.join(dir, 'id_rsa'), 'utf8');
  otherKey = readFileSync(path.join(dir, 'id_other'), 'utf8');
  sshd = await startSshd({
    dir: path.join(dir, 'sshd'),
    address: ADDR,
    port: PORT,
    clientKeys: pubs,
    forced: fakeRolloutScript(dir, 'web1'),
    hostKeyTypes: ['ed25519', 'ecdsa'],
  });
});
afterAll(async () => {
  await sshd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function settings(over: Partial<SshSettingsInput>): SshSettingsInput {
  return { privateKey: clientKey, user: 'root', knownHosts: [], insecureSkipHostKeyCheck: false, jumpHost: null, logger: new MemoryLogger(), ...over };
}
const authAttempts = () => (sshd.log().match(/userauth-request/g) ?? []).length;
const sessions = () => {
  try {
    return readFileSync(path.join(dir, 'commands.log'), 'utf8').split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
};

async function versionOver(s: SshSettingsInput, h: HostSpec = host): Promise<number | undefined> {
  const c = await new SshConnector(s).connect(h);
  try {
    const r = await c.run(['rollout', 'version']);
    expect(r.exitCode).toBe(0);
    return r.result?.protocol ?? undefined;
  } finally {
    c.close();
  }
}

async function refusal(s: SshSettingsInput, h: HostSpec = host): Promise<TransportError> {
  const before = { auth: authAttempts(), sessions: sessions() };
  const err = await new SshConnector(s).connect(h).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TransportError);
  await new Promise((r) => setTimeout(r, 200)); // let sshd flush its log
  // Refused during key exchange: the server never saw an authentication request.
  expect(authAttempts()).toBe(before.auth);
  expect(sessions()).toBe(before.sessions);
  return err as TransportError;
}

describe('host keys are verified before authentication', () => {
  it('a plain [host]:port entry is accepted and the command runs', async () => {
    const kh = parseKnownHosts(`[${ADDR}]:${PORT} ${sshd.hostKeys.ed25519}\n`);
    expect(await versionOver(settings({ knownHosts: kh }))).toBe(1);
    expect(sshd.log()).toMatch(/Accepted publickey for root/);
    expect(authAttempts()).toBeGreaterThan(0); // so the "no attempt" checks below can fail
  });

  it('a hashed entry (ssh-keygen -H) is accepted', async () => {
    const f = path.join(dir, 'kh-hashed');
    writeFileSync(f, `[${ADDR}]:${PORT} ${sshd.hostKeys.ed25519}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', f], { stdio: 'ignore' });
    const text = readFileSync(f, 'utf8');
    expect(text).toMatch(/^\|1\|/);
    expect(await versionOver(settings({ knownHosts: parseKnownHosts(text) }))).toBe(1);
  });

  it('another key type of the same host is accepted (the client asks for the known type)', async () => {
    const kh = parseKnownHosts(`[${ADDR}]:${PORT} ${sshd.hostKeys.ecdsa}\n`);
    expect(await versionOver(settings({ knownHosts: kh }))).toBe(1);
  });

  it('a pinned SHA256 fingerprint from the cluster file is accepted', async () => {
    const fp = execFileSync('ssh-keygen', ['-lf', path.join(sshd.dir, 'ssh_host_ed25519_key.pub')], { encoding: 'utf8' }).split(' ')[1];
    expect(await versionOver(settings({}), { ...host, hostKeys: [fp] })).toBe(1);
  });

  it('a changed key is refused before authentication, with the offered fingerprint and how to pin it', async () => {
    const stranger = keygen(path.join(dir, 'stranger'), 'ed25519');
    const kh = parseKnownHosts(`[${ADDR}]:${PORT} ${stranger}\n`);
    const err = await refusal(settings({ knownHosts: kh }));
    const offered = execFileSync('ssh-keygen', ['-lf', path.join(sshd.dir, 'ssh_host_ed25519_key.pub')], { encoding: 'utf8' }).split(' ')[1];
    expect(err.kind).toBe('host-key');
    expect(err.message).toContain(`host web1 (${ADDR}:${PORT}): host key ${offered} (ssh-ed25519) does NOT match`);
    expect(err.message).toContain(`"[${ADDR}]:${PORT} ssh-ed25519 `);
  });

  it('a host missing from known_hosts is refused before authentication', async () => {
    const kh = parseKnownHosts(`${ADDR} ${sshd.hostKeys.ed25519}\n`); // port 22 entry: not this host
    const err = await refusal(settings({ knownHosts: kh }));
    expect(err.kind).toBe('host-key');
    expect(err.message).toMatch(/is not in known-hosts/);
  });

  it('insecure-skip-host-key-check connects and warns on the host', async () => {
    const logger = new MemoryLogger();
    expect(await versionOver(settings({ insecureSkipHostKeyCheck: true, logger }))).toBe(1);
    expect(logger.lines.join('\n')).toMatch(/warning: host web1 .*insecure-skip-host-key-check is set: accepting host key SHA256:\S+ \(ssh-ed25519\) WITHOUT verification/);
  });
});

describe('authentication', () => {
  const kh = () => parseKnownHosts(`[${ADDR}]:${PORT} ${sshd.hostKeys.ed25519}\n`);
  it('an RSA key with a passphrase (rsa-sha2 signatures)', async () => {
    expect(await versionOver(settings({ knownHosts: kh(), privateKey: rsaKey, passphrase: 'correct horse' }))).toBe(1);
    expect(sshd.log()).toMatch(/Accepted publickey for root .* RSA SHA256:/);
    expect(sshd.log()).toMatch(/userauth_pubkey: .*pkalg rsa-sha2-(256|512) /);
    expect(sshd.log()).not.toMatch(/pkalg ssh-rsa /);
  });
  it('an ECDSA key', async () => {
    const ecdsa = readFileSync(path.join(dir, 'id_ecdsa'), 'utf8');
    expect(await versionOver(settings({ knownHosts: kh(), privateKey: ecdsa }))).toBe(1);
    expect(sshd.log()).toMatch(/Accepted publickey for root .* ECDSA SHA256:/);
  });
  it('a wrong passphrase is a configuration error before any host is contacted', () => {
    expect(() => new SshConnector(settings({ knownHosts: kh(), privateKey: rsaKey, passphrase: 'nope' }))).toThrow(/ssh-key: cannot use the private key/);
  });
  it('a key the host does not know fails authentication with a clear message', async () => {
    const err = await new SshConnector(settings({ knownHosts: kh(), privateKey: otherKey })).connect(host).catch((e: unknown) => e);
    expect((err as TransportError).kind).toBe('auth');
    expect((err as TransportError).message).toMatch(/authentication as root failed/);
  });
  it('the ssh-agent in SSH_AUTH_SOCK', async () => {
    const sock = path.join(dir, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 50; i++) {
        try {
          execFileSync('ssh-add', [path.join(dir, 'id_ed25519')], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      expect(await versionOver(settings({ knownHosts: kh(), privateKey: undefined, agent: sock }))).toBe(1);
    } finally {
      agent.kill();
    }
  });
});

describe('timeouts', () => {
  it('the connect timeout names itself when a port accepts TCP but never speaks SSH', async () => {
    const silent = net.createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(2223, ADDR, r));
    await waitPort(ADDR, 2223);
    try {
      const err = await new SshConnector(settings({ connectTimeoutMs: 1000 })).connect({ ...host, port: 2223 }).catch((e: unknown) => e);
      expect((err as TransportError).kind).toBe('connect-timeout');
      expect((err as TransportError).message).toMatch(/connect timeout \(1 s\) passed before the SSH session was ready/);
    } finally {
      silent.close();
    }
  });
  it('an unreachable host says so', async () => {
    const err = await new SshConnector(settings({})).connect({ ...host, port: 2224 }).catch((e: unknown) => e);
    expect((err as TransportError).kind).toBe('unreachable');
    expect((err as TransportError).message).toMatch(/ECONNREFUSED/);
  });
});
