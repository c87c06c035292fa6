/**
 * The committed bundle plans the seed example: `node dist/cli/index.js plan
 * --env qa --file examples/seed/Deliveryfile --json` lists its hosts and
 * files, and a broken Deliveryfile is one line with file:line:col and exit 2.
 * (dist/ is rebuilt by `npm run build`; test/unit/dist.test.ts checks it is fresh.)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from 'vitest';

const ROOT = path.join(__dirname, '../..');
const CLI = process.env.DELIVERY_TEST_CLI ?? path.join(ROOT, 'dist/cli/index.js');

test('dist/cli/index.js plan --env qa --file examples/seed/Deliveryfile --json', () => {
  const r = spawnSync(process.execPath, [CLI, 'plan', '--env', 'qa', '--file', 'examples/seed/Deliveryfile', '--json'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, SOURCE_DATE_EPOCH: '1764166200', GITHUB_SHA: '0123456789abcdef' },
    timeout: 30_000,
  });
  expect(r.stderr).toContain('is a Traefik v1 label');
  expect(r.status).toBe(0);
  const j = JSON.parse(r.stdout);
  expect(j.application).toBe('bit-docker/teapot');
  expect(j.release).toBe('20251126T141000Z-0123456');
  expect(j.hosts.map((h: { name: string }) => h.name)).toEqual(['bitservicesdockerqabsa01.mw.server.lan', 'bitservicesdockerqabsa02.mw.server.lan']);
  expect(j.hosts[0].command).toBe('rollout deploy bit-docker/teapot --release 20251126T141000Z-0123456 --deadline 600');
  expect(j.bundle.files).toEqual(['docker-compose-qa.yml']);
  expect(j.bundle.sha256).toMatch(/^[0-9a-f]{64}$/);
});

test('dist/cli/index.js plan with a broken Deliveryfile: one line, file:line:col and path, exit 2', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'plan-dist-'));
  writeFileSync(path.join(dir, 'Deliveryfile'), 'version: 1.0\napplication: bit-docker/teapot\ndeployment: paralel\nenvironments:\n  qa:\n    cluster: [c.yml]\n    files: [d.yml]\n');
  const r = spawnSync(process.execPath, [CLI, 'plan', '--env', 'qa', '--file', 'Deliveryfile'], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
  expect(r.status).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr).toBe('error: Deliveryfile:3:13 deployment: expected one of parallel, rolling, canary, got the string "paralel"; did you mean "parallel"?\n');
});
