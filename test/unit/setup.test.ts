import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostFilesDir } from '../../src/adapters/setup-host';
import { parseTarget } from '../../src/cli/commands/setup';
import {
  checkPrerequisites,
  dryRunUnchanged,
  hostKeyPins,
  installerCommand,
  parseProbe,
  shellQuote,
  validateSetupOptions,
  type SetupOptions,
} from '../../src/core/setup';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIILzObv8uBDnQ74nNjWUzBbnQqPb+dWIHM46eGDiYTej ci deploy';
const probe = (over: Record<string, string> = {}) =>
  parseProbe(
    Object.entries({ uid: '0', sudo: '1', os_id: 'debian', os_version: '12', os_codename: 'bookworm', pm: 'apt-get', docker: '20.10.24', docker_running: '1', compose: '2.26.1', compose_v1: '0', systemd: '1', ...over })
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') + `\nhostkey=${KEY.split(' ').slice(0, 2).join(' ')}\n`,
  );
const opts = (o: Partial<SetupOptions> = {}): SetupOptions => ({
  deployUser: 'deploy',
  deployKeys: [KEY],
  router: 'haproxy',
  httpPort: 80,
  hostConfig: [],
  dryRun: false,
  installDocker: false,
  ...o,
});

describe('setup: the probe and the prerequisites', () => {
  it('reads the probe; a host with Docker and Compose v2 is ready', () => {
    const f = probe();
    expect(f).toMatchObject({ uid: 0, osId: 'debian', docker: '20.10.24', compose: '2.26.1', dockerRunning: true, systemd: true });
    expect(f.hostKeys).toEqual([KEY.split(' ').slice(0, 2).join(' ')]);
    expect(checkPrerequisites(f, 'root')).toEqual({ ok: true, problems: [], install: [] });
  });

  it.each([
    ['debian', '12', { compose: '' }, /Compose v2 .* missing; install it: debian 12 has no Compose v2 package .*apt-get install -y docker-compose-plugin/],
    ['debian', '13', { compose: '' }, /install it: apt-get update && apt-get install -y docker-compose$/],
    ['ubuntu', '24.04', { compose: '' }, /install it: apt-get update && apt-get install -y docker-compose-v2$/],
    ['debian', '12', { docker: '', compose: '' }, /^Docker is not installed; install it: apt-get update && apt-get install -y docker\.io; then debian 12 has no Compose v2/],
    ['debian', '12', { compose: '', compose_v1: '1' }, /docker-compose v1 is installed, but v1 reached its end of life in 2023 and rollout refuses it/],
    ['debian', '12', { docker_running: '0' }, /daemon does not answer; start it: systemctl enable --now docker/],
  ])('%s %s %o: says exactly what to install', (os_id, os_version, over, message) => {
    const r = checkPrerequisites(probe({ os_id, os_version, ...over }), 'root');
    expect(r.ok).toBe(false);
    expect(r.problems.join('\n')).toMatch(message);
  });

  it('an admin without root or passwordless sudo is refused with what to do', () => {
    const r = checkPrerequisites(probe({ uid: '1000', sudo: '0' }), 'alice');
    expect(r.ok).toBe(false);
    expect(r.problems[0]).toMatch(/alice is not root and cannot use sudo without a password/);
  });

  it('compose 1.x is not v2', () => {
    expect(probe({ compose: '1.29.2' }).compose).toBe('');
  });
});

describe('setup: the installer command', () => {
  it('quotes every argument; runs through sudo -n when the admin is not root', () => {
    const root = installerCommand(opts({ hostConfig: ['KEEP_RELEASES=2'] }), probe(), false);
    expect(root).toContain(`bash "$d/install.sh" --user deploy --router haproxy --http-port 80 --key '${KEY}' --set KEEP_RELEASES=2`);
    expect(root).not.toContain('sudo');
    const sudo = installerCommand(opts(), probe({ uid: '1000' }), true);
    expect(sudo).toContain('sudo -n bash "$d/install.sh"');
    expect(sudo).toMatch(/--dry-run$/);
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });

  it('refuses bad options, naming them', () => {
    expect(() => validateSetupOptions(opts({ deployKeys: [] }))).toThrow(/--deploy-key: give the public key/);
    expect(() => validateSetupOptions(opts({ deployKeys: ['-----BEGIN OPENSSH PRIVATE KEY-----'] }))).toThrow(/PRIVATE key; give the \.pub file/);
    expect(() => validateSetupOptions(opts({ deployUser: 'Root!' }))).toThrow(/--deploy-user: not a user name/);
    expect(() => validateSetupOptions(opts({ hostConfig: ['keep=2'] }))).toThrow(/--host-config line 1: expected KEY=VALUE/);
    expect(() => validateSetupOptions(opts({ router: 'nginx' as 'haproxy' }))).toThrow(/--router: expected .*haproxy.*, got "nginx"/);
  });

  it('a dry run without "would" lines is no change', () => {
    expect(dryRunUnchanged('==> dry run: nothing is changed\n==> nothing to change')).toBe(true);
    expect(dryRunUnchanged('==> dry run: nothing is changed\n==> would update /etc/rollout/config\n-a\n+b\n==> done')).toBe(false);
  });

  it('pins: known_hosts lines and a cluster entry', () => {
    const k = KEY.split(' ').slice(0, 2).join(' ');
    expect(hostKeyPins('203.0.113.10', 22, [k])).toEqual({ knownHosts: [`203.0.113.10 ${k}`], cluster: `  - host: 203.0.113.10\n    host_keys:\n      - ${k}` });
    expect(hostKeyPins('10.0.0.2', 2222, [k]).knownHosts).toEqual([`[10.0.0.2]:2222 ${k}`]);
  });

  it('targets: [user@]host[:port]', () => {
    expect(parseTarget('root@203.0.113.10')).toMatchObject({ host: '203.0.113.10', port: 22, user: 'root', name: '203.0.113.10' });
    expect(parseTarget('web1:2222')).toMatchObject({ host: 'web1', port: 2222, user: undefined, name: 'web1:2222' });
    expect(() => parseTarget('root@@x')).toThrow(/expected \[user@\]host\[:port\]/);
  });

  it('finds the installer beside the CLI bundle (dist/cli → src/host), or where DELIVERY_HOST_FILES says', () => {
    const repo = mkdtempSync(path.join(tmpdir(), 'setup-files-'));
    mkdirSync(path.join(repo, 'src', 'host'), { recursive: true });
    mkdirSync(path.join(repo, 'dist', 'cli'), { recursive: true });
    for (const f of ['install.sh', 'rollout']) writeFileSync(path.join(repo, 'src', 'host', f), '#!/bin/sh\n');
    expect(hostFilesDir(undefined, path.join(repo, 'dist', 'cli'))).toBe(path.join(repo, 'src', 'host'));
    expect(hostFilesDir(path.join(repo, 'src', 'host'), '/nowhere')).toBe(path.join(repo, 'src', 'host'));
    expect(() => hostFilesDir(undefined, '/nowhere/dist/cli')).toThrow(/set DELIVERY_HOST_FILES/);
  });
});
