import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { loadPlan, previewUrl, loadDeliveryfile } from '../../src/adapters/load-plan';
import { main } from '../../src/cli/main';
import { MemoryLogger } from '../../src/core/logger';
import { batchesOf, plan } from '../../src/core/plan';
import { makeReleaseId } from '../../src/core/release';
import type { HostSpec } from '../../src/core/types';

const ROOT = path.join(__dirname, '../..');
const SEED = path.join(ROOT, 'examples/seed/Deliveryfile');
const D = 'c'.repeat(64);

const hosts = (n: number): HostSpec[] =>
  Array.from({ length: n }, (_, i) => ({ name: `h${i + 1}`, host: `10.0.0.${i + 1}`, port: 22, hostKeys: [], httpPort: 80, source: 'test' }));
const names = (b: HostSpec[][]) => b.map((x) => x.map((h) => h.name).join(','));

describe('batches', () => {
  test('parallel: one batch', () => expect(names(batchesOf(hosts(3), 'parallel', 1, 1))).toEqual(['h1,h2,h3']));
  test('rolling by count', () => expect(names(batchesOf(hosts(5), 'rolling', 2, 1))).toEqual(['h1,h2', 'h3,h4', 'h5']));
  test('rolling by percent, rounded up', () => expect(names(batchesOf(hosts(5), 'rolling', '25%', 1))).toEqual(['h1,h2', 'h3,h4', 'h5']));
  test('rolling by a small percent is still one host', () => expect(names(batchesOf(hosts(3), 'rolling', '1%', 1))).toEqual(['h1', 'h2', 'h3']));
  test('canary: the first host, then the rest', () => expect(names(batchesOf(hosts(4), 'canary', 1, 1))).toEqual(['h1', 'h2,h3,h4']));
  test('canary of 2 with 2 hosts is one batch', () => expect(names(batchesOf(hosts(2), 'canary', 1, 2))).toEqual(['h1,h2']));
});

test('the exact words of a deploy: every deploy sends --deadline (default 600), a dry run --dry-run', () => {
  const bundle = { bytes: Buffer.alloc(0), sha256: '', manifest: {} as never };
  const input = { application: 'a/b', environment: 'prod', release: 'r1', mode: 'parallel' as const, concurrency: 5, batch: 1, canary: 1, onFailure: 'rollback' as const, router: null, ssh: { user: 'deploy', jumpHost: null }, hosts: hosts(2), bundle };
  expect(plan(input).steps[0].command).toEqual(['rollout', 'deploy', 'a/b', '--release', 'r1', '--deadline', '600']);
  expect(plan({ ...input, dryRun: true, deadline: 30 }).steps[1].command).toEqual(['rollout', 'deploy', 'a/b', '--release', 'r1', '--dry-run', '--deadline', '30']);
  expect(plan(input).preflight).toEqual([['rollout', 'preflight', 'a/b']]);
});

test('release ids sort by time: YYYYMMDDTHHMMSSZ-<sha7>', () => {
  expect(makeReleaseId(new Date('2026-11-26T14:10:05.123Z'), 'ABCDEF1234567')).toBe('20261126T141005Z-abcdef1');
  expect(makeReleaseId(new Date('2026-11-26T14:10:05Z'), null, '0f1e2d3c')).toBe('20261126T141005Z-0f1e2d3');
});

describe('loadPlan', () => {
  test('the seed example: hosts from the local cluster file, its compose file, warnings logged', async () => {
    const logger = new MemoryLogger();
    const p = await loadPlan({ file: SEED, env: 'qa', logger, gitSha: 'ddced76aaaa', processEnv: {}, now: new Date('2026-11-26T14:10:00Z') });
    expect(p.application).toBe('bit-docker/teapot');
    expect(p.release).toBe('20261126T141000Z-ddced76');
    expect(p.steps.map((s) => s.host.name)).toEqual(['bitservicesdockerqabsa01.mw.server.lan', 'bitservicesdockerqabsa02.mw.server.lan']);
    expect(p.steps[0].command).toEqual(['rollout', 'deploy', 'bit-docker/teapot', '--release', '20261126T141000Z-ddced76', '--deadline', '600']);
    expect(p.batches).toHaveLength(1);
    expect(p.ssh).toEqual({ user: 'deploy', jumpHost: null });
    expect(p.bundle.manifest.compose_files).toEqual(['docker-compose-qa.yml']);
    expect(p.bundle.manifest.git).toEqual({ sha: 'ddced76aaaa', ref: null });
    expect(p.warnings.length).toBe(4);
    expect(logger.lines.filter((l) => l.startsWith('warning: ')).length).toBe(4);
    // the Traefik v1 labels are among the warnings, each with its v3 equivalent
    expect(p.warnings.filter((w) => /is a Traefik v1 label/.test(w))).toHaveLength(3);
    expect(p.warnings.find((w) => /traefik\.frontend\.rule/.test(w))).toMatch(/docker-compose-qa\.yml:22:9 services\.web\.labels\[1\]: traefik\.frontend\.rule is a Traefik v1 label.*PathPrefix\(`\/streams`\)/);
  });

  test('SOURCE_DATE_EPOCH makes the bundle reproducible across runs', async () => {
    const run = () => loadPlan({ file: SEED, env: 'prod', logger: new MemoryLogger(), gitSha: 'abc1234', processEnv: { SOURCE_DATE_EPOCH: '1764166200' } });
    const [a, b] = [await run(), await run()];
    expect(a.release).toBe('20251126T141000Z-abc1234');
    expect(a.bundle.manifest.created).toBe('2025-11-26T14:10:00.000Z');
    expect(a.bundle.sha256).toBe(b.bundle.sha256);
    expect(a.steps).toHaveLength(4);
  });

  function app(extra = ''): string {
    const dir = mkdtempSync(path.join(tmpdir(), 'plan-'));
    mkdirSync(path.join(dir, 'env'));
    writeFileSync(
      path.join(dir, 'Deliveryfile'),
      `application: shop/web
deployment: {mode: rolling, batch: 2}
route: {path: /shop/, service: web, port: 8080}
registry: 127.60.0.1:5000
images: {web: 127.60.0.1:5000/shop/web}
preview:
  route:
    path: /shop-pr-{number}/
  url: http://qa.example.org/shop-pr-{number}/
environments:
  prod:
    cluster:
      - hosts: [h1.example.org, h2.example.org, h3.example.org]
    files: [compose.yml]
    env_files: [env/prod.env]
    secrets: [db_password]
${extra}`,
    );
    writeFileSync(path.join(dir, 'compose.yml'), 'services:\n  web:\n    image: shop-web\n    init: true\n');
    writeFileSync(path.join(dir, 'env/prod.env'), 'MODE=prod\n');
    return dir;
  }

  test('secrets, registry credentials, pinned images and batches; secret values are masked', async () => {
    const dir = app();
    const logger = new MemoryLogger();
    const p = await loadPlan({
      file: path.join(dir, 'Deliveryfile'),
      env: 'prod',
      logger,
      gitSha: null,
      release: 'r-1',
      images: `127.60.0.1:5000/shop/web@sha256:${D}`,
      secrets: 'db_password="s3cr3t-value"\nOTHER=not-listed\n',
      registryUsername: 'ci',
      registryPassword: 'registry-pass',
      processEnv: {},
    });
    expect(p.release).toBe('r-1');
    expect(p.batches.map((b) => b.length)).toEqual([2, 1]);
    expect(p.bundle.manifest.images).toEqual({ web: `127.60.0.1:5000/shop/web@sha256:${D}` });
    expect(p.bundle.manifest.secrets).toEqual(['db_password']);
    expect(p.bundle.manifest.env_files).toEqual(['env/prod.env']);
    expect(p.bundle.manifest.route).toEqual({ service: 'web', port: 8080, path: '/shop/', host: null, strip_prefix: false });
    expect(p.warnings).toEqual([]);
    logger.info('value s3cr3t-value and registry-pass');
    expect(logger.lines.at(-1)).toBe('value *** and ***');
  });

  test('a preview gets its own app name and route', async () => {
    const dir = app();
    const file = path.join(dir, 'Deliveryfile');
    const p = await loadPlan({ file, env: 'prod', logger: new MemoryLogger(), secrets: { db_password: 'x' }, preview: { number: 42 }, gitSha: null, processEnv: {} });
    expect(p.application).toBe('shop/web-pr-42');
    expect(p.bundle.manifest.route?.path).toBe('/shop-pr-42/');
    expect(p.steps[0].command.slice(0, 3)).toEqual(['rollout', 'deploy', 'shop/web-pr-42']);
    expect(previewUrl(await loadDeliveryfile(file), 42)).toBe('http://qa.example.org/shop-pr-42/');
  });

  test('a missing secret value and a missing compose file name their Deliveryfile position', async () => {
    const dir = app();
    const file = path.join(dir, 'Deliveryfile');
    await expect(loadPlan({ file, env: 'prod', logger: new MemoryLogger(), gitSha: null, processEnv: {} })).rejects.toThrow(
      /Deliveryfile:16:15 environments\.prod\.secrets\[0\]: no value for secret db_password/,
    );
    writeFileSync(file, 'application: a/b\nenvironments:\n  qa:\n    cluster: [{hosts: [h1]}]\n    files:\n      - docker-compose-qa.yml\n');
    await expect(loadPlan({ file, env: 'qa', logger: new MemoryLogger(), gitSha: null, processEnv: {} })).rejects.toThrow(
      /Deliveryfile:6:9 environments\.qa\.files\[0\]: file not found: docker-compose-qa\.yml$/,
    );
  });
});

describe('delivery plan (in process)', () => {
  function sink() {
    let text = '';
    const stream = new Writable({
      write(c, _e, cb) {
        text += String(c);
        cb();
      },
    });
    return { stream, text: () => text };
  }

  test('--json prints hosts, batches, commands and the bundle; exit 0', async () => {
    const out = sink();
    const logger = new MemoryLogger();
    const code = await main(['plan', '--env', 'qa', '--file', SEED, '--json', '--release', 'r1'], { stdout: out.stream, logger, env: {} });
    expect(code).toBe(0);
    const j = JSON.parse(out.text());
    expect(j.hosts.map((h: { name: string; command: string; user: string; batch: number }) => [h.name, h.user, h.batch, h.command])).toEqual([
      ['bitservicesdockerqabsa01.mw.server.lan', 'deploy', 0, 'rollout deploy bit-docker/teapot --release r1 --deadline 600'],
      ['bitservicesdockerqabsa02.mw.server.lan', 'deploy', 0, 'rollout deploy bit-docker/teapot --release r1 --deadline 600'],
    ]);
    expect(j.bundle.files).toEqual(['docker-compose-qa.yml']);
    expect(j.bundle.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(j.bundle.size).toBeGreaterThan(100);
  });

  test('the text form shows a table with the exact command', async () => {
    const out = sink();
    const code = await main(['plan', '--env', 'prod', '--file', SEED, '--release', 'r2'], { stdout: out.stream, logger: new MemoryLogger(), env: {} });
    expect(code).toBe(0);
    expect(out.text()).toMatch(/^0 +bitdockerbap02\.mw\.server\.lan +bitdockerbap02\.mw\.server\.lan:22 +deploy +rollout deploy bit-docker\/teapot --release r2 --deadline 600$/m);
    expect(out.text()).toMatch(/bundle: \d+ bytes, sha256 [0-9a-f]{64}/);
  });

  test('every verb: plan rollback and remove print the exact words, the preflight and the way back', async () => {
    const out = sink();
    expect(await main(['plan', 'rollback', '--env', 'qa', '--file', SEED, '--to', 'r0', '--timeout', '90', '--json'], { stdout: out.stream, logger: new MemoryLogger(), env: {} })).toBe(0);
    const j = JSON.parse(out.text());
    expect([j.verb, j.release, j.preflight, j.undo]).toEqual(['rollback', 'r0', ['rollout preflight bit-docker/teapot --releases'], 'rollout rollback bit-docker/teapot --to <its release before> --deadline 90']);
    expect(j.hosts.map((h: { command: string }) => h.command)).toEqual(Array(2).fill('rollout rollback bit-docker/teapot --to r0 --deadline 90 --confirm'));
    const text = sink();
    expect(await main(['plan', 'rollback', '--env', 'qa', '--file', SEED], { stdout: text.stream, logger: new MemoryLogger(), env: {} })).toBe(0);
    expect(text.text()).toMatch(/^plan: rollback bit-docker\/teapot on qa, to the previous release \(preflight checks every host has the same\)$/m);
    expect(text.text()).toMatch(/^0 +bitservicesdockerqabsa01\.mw\.server\.lan +\S+:22 +deploy +rollout rollback bit-docker\/teapot --deadline 600 --confirm$/m);
    expect(text.text()).toContain('  preflight on every host: the rollback\'s own first answer (--confirm: the host holds the lock, answers, and switches on "go RELEASE"); a rollout without --confirm: rollout preflight bit-docker/teapot --releases\n');
    const rm = sink();
    expect(await main(['plan', 'remove', '--env', 'qa', '--file', SEED], { stdout: rm.stream, logger: new MemoryLogger(), env: {} })).toBe(0);
    expect(rm.text()).toMatch(/ +rollout remove bit-docker\/teapot$/m);
    expect(rm.text()).not.toMatch(/goes back/);
    const dep = sink();
    expect(await main(['plan', '--env', 'qa', '--file', SEED, '--release', 'r1'], { stdout: dep.stream, logger: new MemoryLogger(), env: {} })).toBe(0);
    expect(dep.text()).toContain('  preflight on every host: rollout preflight bit-docker/teapot\n  a switched host goes back (on failure or interrupt) with: rollout rollback bit-docker/teapot --to <its release before> --deadline 600\n');
    const bad = new MemoryLogger();
    expect(await main(['plan', 'frobnicate', '--env', 'qa', '--file', SEED], { stdout: sink().stream, logger: bad, env: {} })).toBe(2);
    expect(bad.lines[0]).toMatch(/plan takes one verb \(deploy, rollback or remove\), got "frobnicate"/);
  });

  test('a broken Deliveryfile: one clear line with file:line:col and path, exit 2', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'plan-'));
    const file = path.join(dir, 'Deliveryfile');
    writeFileSync(file, 'version: 1.0\napplication: bit-docker/teapot\nenvironments:\n  qa:\n    cluster: [c.yml]\n    file: [d.yml]\n');
    const logger = new MemoryLogger();
    const code = await main(['plan', '--env', 'qa', '--file', file], { stdout: sink().stream, logger, env: {} });
    expect(code).toBe(2);
    expect(logger.lines[0]).toBe(`error: ${file}:5:5 environments.qa: missing key "files" (expected a list of compose files)\n${file}:6:5 environments.qa.file: unknown key; did you mean "files"? (allowed here: cluster, files, env_files, secrets)`);
  });

  test('no --env is exit 2; flags come from DELIVERY_* too', async () => {
    const logger = new MemoryLogger();
    expect(await main(['plan', '--file', SEED], { stdout: sink().stream, logger, env: {} })).toBe(2);
    expect(logger.lines[0]).toMatch(/^error: --env is required/);
    const out = sink();
    expect(await main(['plan', '--json'], { stdout: out.stream, logger: new MemoryLogger(), env: { DELIVERY_ENV: 'qa', DELIVERY_FILE: SEED } })).toBe(0);
    expect(JSON.parse(out.text()).environment).toBe('qa');
  });
});
