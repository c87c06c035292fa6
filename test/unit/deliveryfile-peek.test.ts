// The hosts of an environment read before the schema (issue 13): peekFleet
// reads only what the schema would accept as it is, sameFleet lets the
// validated file decide, and loadFleetSource calls onHosts before the
// validation, never for what the schema refuses in the fields it reads.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { utils } from 'ssh2';
import { describe, expect, test } from 'vitest';
import { loadFleetSource } from '../../src/adapters/deliveryfile-source';
import { earlyConnections, fleetRequest } from '../../src/cli/fleet';
import { parseDeliveryfileSource } from '../../src/core/deliveryfile';
import { peekFleet, sameFleet } from '../../src/core/deliveryfile-peek';
import { ConfigurationError } from '../../src/core/errors';
import { MemoryLogger } from '../../src/core/logger';
import type { HostSpec } from '../../src/core/types';
import { YamlSource } from '../../src/core/yaml-source';

const BASE = `version: 1.0
application: g/app
environments:
  prod:
    cluster: [prod.yml, {hosts: ["10.9.9.9:2200"]}]
    files: [compose.yml]
  qa:
    cluster: [https://example.org/qa.yml]
    files: [compose.yml]
`;

const src = (text: string) => new YamlSource('Deliveryfile', text);

describe('peekFleet', () => {
  test('reads local cluster sources and the SSH settings, with the schema\'s defaults', () => {
    const p = peekFleet(src(BASE), 'prod');
    expect(p?.cluster.entries).toEqual(['prod.yml', { hosts: ['10.9.9.9:2200'] }]);
    expect(p?.cluster.defaultPort).toBe(22);
    expect(p?.ssh).toEqual({ user: 'deploy', jumpHost: null });
    const withSsh = peekFleet(src(BASE + 'ssh: {user: ops, port: 2222, jump_host: "bastion.example.org:22"}\n'), 'prod');
    expect(withSsh?.ssh).toEqual({ user: 'ops', jumpHost: 'bastion.example.org:22' });
    expect(withSsh?.cluster.defaultPort).toBe(2222);
  });

  test.each([
    ['a cluster URL (fetched after the checks)', BASE, 'qa'],
    ['an environment that is not there', BASE, 'staging'],
    ['an SSH user the schema refuses', BASE + 'ssh: {user: "Root!"}\n', 'prod'],
    ['an SSH port out of range', BASE + 'ssh: {port: 70000}\n', 'prod'],
    ['a port that is a string', BASE + 'ssh: {port: "22"}\n', 'prod'],
    ['a jump host the schema refuses', BASE + 'ssh: {jump_host: "a b"}\n', 'prod'],
    ['ssh that is not a map', BASE + 'ssh: deploy\n', 'prod'],
    ['an empty cluster', 'application: g/app\nenvironments: {prod: {cluster: [], files: [c.yml]}}\n', 'prod'],
    ['a cluster entry that is a number', 'application: g/app\nenvironments: {prod: {cluster: [3], files: [c.yml]}}\n', 'prod'],
    ['a file that is a list', '- a\n', 'prod'],
  ])('is null for %s', (_what, text, env) => {
    expect(peekFleet(src(text), env)).toBeNull();
  });

  test('sameFleet: the validated file names what the peek read; another source does not match', () => {
    const s = src(BASE);
    const peek = peekFleet(s, 'prod')!;
    expect(sameFleet(peek, parseDeliveryfileSource(s), 'prod')).toBe(true);
    expect(sameFleet(peek, parseDeliveryfileSource(src(BASE)), 'prod')).toBe(false);
    const moved = src(BASE.replace('prod.yml', 'other.yml'));
    expect(sameFleet(peek, { ...parseDeliveryfileSource(moved), source: s }, 'prod')).toBe(false);
  });
});

describe('loadFleetSource', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'peek-'));
  writeFileSync(path.join(dir, 'prod.yml'), 'hosts:\n  - 127.0.0.9:2201\n');
  const write = (text: string) => {
    const f = path.join(dir, `Deliveryfile.${Math.random().toString(36).slice(2)}`);
    writeFileSync(f, text);
    return f;
  };

  test('calls onHosts with the cluster\'s hosts before the file is validated, and hands them on', async () => {
    const seen: string[] = [];
    const file = write(BASE);
    const { df, early } = await loadFleetSource(file, 'prod', () => ({ baseDir: dir }), (hosts: HostSpec[], ssh) => {
      seen.push(`${hosts.map((h) => `${h.host}:${h.port}`).join(',')} as ${ssh.user}`);
    });
    expect(seen).toEqual(['127.0.0.9:2201,10.9.9.9:2200 as deploy']);
    expect(df.data.application).toBe('g/app');
    expect((await early)?.map((h) => h.host)).toEqual(['127.0.0.9', '10.9.9.9']);
  });

  test('an invalid Deliveryfile is refused by the schema, as before (its hosts were peeked, nothing else)', async () => {
    const file = write(BASE + 'colour: blue\n');
    const seen: number[] = [];
    const err = await loadFleetSource(file, 'prod', () => ({ baseDir: dir }), (h) => seen.push(h.length)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as Error).message).toMatch(/colour: unknown key/);
    expect(seen).toEqual([2]);
  });

  test('no onHosts when the SSH settings are refused: the schema\'s error, no connection', async () => {
    const file = write(BASE + 'ssh: {user: "Root!"}\n');
    const seen: number[] = [];
    const err = await loadFleetSource(file, 'prod', () => ({ baseDir: dir }), (h) => seen.push(h.length)).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/ssh\.user: expected a user name/);
    expect(seen).toEqual([]);
  });

  test('a cluster file that is missing is reported where the hosts are awaited, after the file\'s own checks', async () => {
    const file = write(BASE.replace('prod.yml', 'missing.yml'));
    const seen: number[] = [];
    const { early } = await loadFleetSource(file, 'prod', () => ({ baseDir: dir }), (h) => seen.push(h.length));
    expect(seen).toEqual([]);
    await expect(early).rejects.toThrow(/file not found: missing\.yml/);
  });
});

describe('earlyConnections', () => {
  // A host on loopback nobody listens on: the warm connection fails, unused.
  const host: HostSpec = { name: 'h1', host: '127.0.0.1', port: 9, hostKeys: [], httpPort: 80, source: 'test' };
  const { private: key } = utils.generateKeyPairSync('ed25519');
  const ctx = { env: { HOME: '/nonexistent' }, logger: new MemoryLogger() };
  const values = { env: 'prod', 'ssh-key': key, 'known-hosts': '' };

  test('hands the warm connections over for the SSH settings they were opened with', () => {
    const early = earlyConnections(ctx, values, fleetRequest(ctx, values));
    early.onHosts([host], { user: 'deploy', jumpHost: null });
    const c = early.connectorFor({ user: 'deploy', jumpHost: null });
    expect(c).not.toBeNull();
    c?.close();
  });

  test('closes them, and hands nothing over, when the validated file names another user or jump host', () => {
    const early = earlyConnections(ctx, values, fleetRequest(ctx, values));
    early.onHosts([host], { user: 'deploy', jumpHost: null });
    expect(early.connectorFor({ user: 'ops', jumpHost: null })).toBeNull();
    expect(early.connectorFor({ user: 'deploy', jumpHost: null })).toBeNull();
  });
});
