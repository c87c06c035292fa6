/**
 * A jump host (ProxyJump through ssh2's forwardOut), test world ID 22. The
 * inner host's sshd lives in a network namespace of its own (`ip netns`),
 * together with the jump host's sshd; from outside only the jump host is
 * reachable, through a socat relay into the namespace (the bastion's one
 * published port). Every address is inside the namespace's own loopback.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryLogger } from '../../src/core/logger';
import type { HostSpec } from '../../src/core/types';
import { TransportError } from '../../src/core/protocol';
import { SshConnector, parseJumpHost, type SshSettingsInput } from '../../src/ssh/connection';
import { parseKnownHosts } from '../../src/ssh/known-hosts';
import { fakeRolloutScript, keygen, startSshd, waitPort, type Sshd } from './fleet-sshd';

const NS = 'dlv-fleet22';
const JUMP = { addr: '127.22.0.10', port: 2222 };
const INNER = { addr: '127.22.0.20', port: 2222 };
let dir: string;
let jump: Sshd;
let inner: Sshd;
let relay: ChildProcess;
let clientKey: string;
const host: HostSpec = { name: 'inner', host: INNER.addr, port: INNER.port, hostKeys: [], httpPort: 80, source: 'test', user: 'root' };

function ns(...args: string[]) {
  execFileSync('ip', ['netns', ...args], { stdio: 'ignore' });
}

beforeAll(async () => {
  execFileSync('mkdir', ['-p', '/work/main/.tmp']);
  dir = mkdtempSync('/work/main/.tmp/fleet-jump-');
  try {
    ns('del', NS);
  } catch {
    /* not there */
  }
  ns('add', NS);
  ns('exec', NS, 'ip', 'link', 'set', 'lo', 'up');
  const pub = keygen(path.join(dir, 'id'), 'ed25519');
  clientKey = readFileSync(path.join(dir, 'id'), 'utf8');
  jump = await startSshd({
    dir: path.join(dir, 'jump'),
    address: JUMP.addr,
    port: JUMP.port,
    clientKeys: [pub],
    keyOptions: 'restrict,port-forwarding,permitopen="127.22.0.20:2222"',
    forced: '#!/bin/sh\nexit 1\n',
    netns: NS,
    extra: ['AllowTcpForwarding yes'],
  });
  inner = await startSshd({
    dir: path.join(dir, 'inner'),
    address: INNER.addr,
    port: INNER.port,
    clientKeys: [pub],
    forced: fakeRolloutScript(dir, 'inner'),
    netns: NS,
  });
  // The bastion's published port: 127.22.0.10:2222 outside → the same address inside the namespace.
  relay = spawn(
    'socat',
    [`TCP-LISTEN:${JUMP.port},bind=${JUMP.addr},fork,reuseaddr`, `EXEC:ip netns exec ${NS} socat STDIO TCP\\:${JUMP.addr}\\:${JUMP.port}`],
    { stdio: 'ignore' },
  );
  await waitPort(JUMP.addr, JUMP.port);
});

afterAll(async () => {
  relay?.kill();
  await jump?.stop();
  await inner?.stop();
  try {
    ns('del', NS);
  } catch {
    /* already gone */
  }
  rmSync(dir, { recursive: true, force: true });
});

const kh = (jumpKey = jump.hostKeys.ed25519, innerKey = inner.hostKeys.ed25519) =>
  parseKnownHosts(`[${JUMP.addr}]:${JUMP.port} ${jumpKey}\n[${INNER.addr}]:${INNER.port} ${innerKey}\n`);

function settings(over: Partial<SshSettingsInput> = {}): SshSettingsInput {
  return {
    privateKey: clientKey,
    user: 'root',
    knownHosts: kh(),
    insecureSkipHostKeyCheck: false,
    jumpHost: parseJumpHost(`root@${JUMP.addr}:${JUMP.port}`),
    connectTimeoutMs: 5000,
    logger: new MemoryLogger(),
    ...over,
  };
}

describe('jump host', () => {
  it('the inner host is not reachable directly', async () => {
    const err = await new SshConnector(settings({ jumpHost: null })).connect(host).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).kind).toBe('unreachable');
  });

  it('reaches the inner host through the jump host, both host keys verified', async () => {
    const connector = new SshConnector(settings());
    try {
      const c = await connector.connect(host);
      const r = await c.run(['rollout', 'version']);
      expect(r.exitCode).toBe(0);
      expect(r.result?.host).toBe('inner');
      c.close();
    } finally {
      connector.close();
    }
    // The jump host opened the channel to the inner host; the inner sshd authenticated us.
    expect(jump.log()).toMatch(/server_request_direct_tcpip: .*target 127\.22\.0\.20 port 2222/);
    expect(inner.log()).toMatch(/Accepted publickey for root/);
  });

  it('an unknown jump host key is refused, naming the jump host', async () => {
    const stranger = keygen(path.join(dir, 'stranger'), 'ed25519');
    const err = await new SshConnector(settings({ knownHosts: kh(stranger) })).connect(host).catch((e: unknown) => e);
    expect((err as TransportError).kind).toBe('host-key');
    expect((err as TransportError).message).toMatch(/^host jump host 127\.22\.0\.10:2222: host key SHA256:\S+ \(ssh-ed25519\) does NOT match/);
  });

  it('a wrong inner host key is refused even though the jump host is fine', async () => {
    const stranger = keygen(path.join(dir, 'stranger2'), 'ed25519');
    const connector = new SshConnector(settings({ knownHosts: kh(undefined, stranger) }));
    try {
      const err = await connector.connect(host).catch((e: unknown) => e);
      expect((err as TransportError).kind).toBe('host-key');
      expect((err as TransportError).message).toMatch(/^host inner \(127\.22\.0\.20:2222\): host key/);
    } finally {
      connector.close();
    }
  });
});
