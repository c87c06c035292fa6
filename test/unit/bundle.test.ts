import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { Parser, type ReadEntry } from 'tar';
import { describe, expect, test } from 'vitest';
import { appPathProblem, buildBundle, rolloutEnv, type BundleInput } from '../../src/core/bundle';
import { ConfigurationError } from '../../src/core/errors';
import { isReleaseId } from '../../src/core/names';
import { releaseIdProblem } from '../../src/core/release';
import type { Manifest } from '../../src/core/types';

interface Read {
  path: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  mtime: number;
  body: string;
}

/** Reads a bundle back with the tar package's parser. */
function entriesOf(bytes: Buffer): Read[] {
  const out: Read[] = [];
  const p = new Parser({
    onReadEntry: (e: ReadEntry) => {
      const chunks: Buffer[] = [];
      e.on('data', (c: Buffer) => chunks.push(c));
      e.on('end', () => {
        const r = out.find((x) => x.path === e.path);
        if (r) r.body = Buffer.concat(chunks).toString('utf8');
      });
      out.push({
        path: e.path,
        type: e.type,
        mode: e.mode ?? -1,
        uid: e.uid ?? -1,
        gid: e.gid ?? -1,
        uname: e.uname ?? '',
        gname: e.gname ?? '',
        mtime: e.mtime?.getTime() ?? -1,
        body: '',
      });
    },
  });
  p.end(bytes);
  return out;
}

const manifest = (o: Partial<Manifest> = {}): Manifest => ({
  schema: 1,
  application: 'shop/web',
  environment: 'prod',
  release: '20261126T141000Z-abc1234',
  created: '2026-11-26T14:10:00.000Z',
  git: { sha: 'abc1234def', ref: 'refs/heads/main' },
  compose_files: ['docker-compose.yml'],
  env_files: ['env/prod.env'],
  services: ['web', 'worker'],
  images: { web: `127.0.0.1:5000/shop/web@sha256:${'a'.repeat(64)}` },
  route: { service: 'web', port: 8080, path: '/shop/', host: null, strip_prefix: true },
  health: { timeout: 60, stable: 3, path: '/health' },
  keep: 5,
  router: 'haproxy',
  secrets: ['db_password'],
  registry: '127.0.0.1:5000',
  ...o,
});

const input = (o: Partial<BundleInput> = {}): BundleInput => ({
  manifest: manifest(),
  files: [
    { path: 'docker-compose.yml', content: 'services:\n  web:\n    image: x\n' },
    { path: 'env/prod.env', content: 'A=1\n' },
  ],
  secrets: { db_password: 'hunter2', unused: 'never shipped' },
  dockerConfig: '{"auths":{}}\n',
  loggingSet: ['worker'],
  healthcheckSet: ['web'],
  time: new Date('2026-11-26T14:10:00.000Z'),
  ...o,
});

describe('the bundle', () => {
  test('holds exactly the entries of docs/protocol.md, sorted, owned by 0, with fixed modes and mtime', () => {
    const b = buildBundle(input());
    const entries = entriesOf(b.bytes);
    expect(entries.map((e) => `${e.type} ${e.path} ${e.mode.toString(8)}`)).toEqual([
      'Directory app/ 755',
      'File app/docker-compose.yml 644',
      'Directory app/env/ 755',
      'File app/env/prod.env 644',
      'File docker-config.json 600',
      'File manifest.json 644',
      'File rollout.env 644',
      'Directory secrets/ 700',
      'File secrets/db_password 600',
    ]);
    for (const e of entries) {
      expect([e.uid, e.gid, e.uname, e.gname]).toEqual([0, 0, '', '']);
      expect(e.mtime).toBe(Date.parse('2026-11-26T14:10:00Z'));
    }
    expect(JSON.parse(entries.find((e) => e.path === 'manifest.json')!.body)).toEqual(manifest());
    expect(entries.find((e) => e.path === 'secrets/db_password')!.body).toBe('hunter2');
    expect(b.sha256).toMatch(/^[0-9a-f]{64}$/);
    // gzip header: no file name, mtime 0
    expect([...b.bytes.subarray(0, 8)]).toEqual([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]);
  });

  test('rollout.env carries the manifest facts, one KEY=VALUE a line', () => {
    expect(rolloutEnv(manifest(), ['worker'], ['web'])).toBe(
      [
        'SCHEMA=1',
        'APPLICATION=shop/web',
        'RELEASE=20261126T141000Z-abc1234',
        'COMPOSE_FILES=docker-compose.yml',
        'ENV_FILES=env/prod.env',
        'SERVICES=web worker',
        'LOGGING_SET=worker',
        'HEALTHCHECK_SET=web',
        `IMAGES=web=127.0.0.1:5000/shop/web@sha256:${'a'.repeat(64)}`,
        'ROUTE_SERVICE=web',
        'ROUTE_PORT=8080',
        'ROUTE_PATH=/shop/',
        'ROUTE_HOST=',
        'ROUTE_STRIP_PREFIX=1',
        'HEALTH_TIMEOUT=60',
        'HEALTH_STABLE=3',
        'HEALTH_PATH=/health',
        'KEEP=5',
        'ROUTER=haproxy',
        'SECRETS=db_password',
        'ENVIRONMENT=prod',
        'REGISTRY=127.0.0.1:5000',
        'GIT_SHA=abc1234def',
        '',
      ].join('\n'),
    );
  });

  test('GNU tar extracts it with the same modes', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bundle-'));
    writeFileSync(path.join(dir, 'b.tgz'), buildBundle(input()).bytes);
    const list = execFileSync('tar', ['-tzvf', 'b.tgz', '--numeric-owner'], { cwd: dir, encoding: 'utf8' });
    expect(list).toMatch(/^-rw------- 0\/0 +7 2026-11-26 14:10 secrets\/db_password$/m);
    expect(list).toMatch(/^drwx------ 0\/0 +0 2026-11-26 14:10 secrets\/$/m);
    execFileSync('tar', ['-xzf', 'b.tgz', '-C', dir], { cwd: dir });
  });

  test('a missing secret value, an oversize bundle and an unsafe path are refused', () => {
    expect(() => buildBundle(input({ secrets: {} }))).toThrow(/^secret db_password is listed for prod but no value was given/);
    expect(() => buildBundle(input({ maxBytes: 4096 }))).toThrow(/^bundle is 0\.0 MiB, over the limit of 0\.0 MiB \(largest: /);
    expect(() => buildBundle(input({ files: [{ path: '../x', content: '' }] }))).toThrow(ConfigurationError);
    expect(() => buildBundle(input({ manifest: manifest({ release: '..' }) }))).toThrow(/release id/);
    expect(() => buildBundle(input({ manifest: manifest({ compose_files: ['other.yml'] }) }))).toThrow(/other\.yml is named in the manifest but its content was not given/);
  });
});

// ---------------------------------------------------------------------------
// Properties

const segment = fc.stringMatching(/^[A-Za-z0-9._-]{1,12}$/).filter((s) => s !== '.' && s !== '..');
const safePath = fc.array(segment, { minLength: 1, maxLength: 4 }).map((p) => p.join('/'));
const secretName = fc.stringMatching(/^[A-Za-z0-9_.-]{1,16}$/).filter((s) => s !== '.' && s !== '..');

const bundleInput = fc
  .record({
    files: fc.uniqueArray(fc.record({ path: safePath, content: fc.string({ maxLength: 200 }) }), { selector: (f) => f.path, minLength: 1, maxLength: 6 }),
    secrets: fc.dictionary(secretName, fc.string({ maxLength: 50 }), { maxKeys: 4 }),
    time: fc.integer({ min: 0, max: 4_000_000_000 }).map((s) => new Date(s * 1000)),
    docker: fc.option(fc.string({ minLength: 1, maxLength: 50 }), { nil: null }),
  })
  .filter(({ files }) => {
    // a file may not also be a folder of another file
    const paths = new Set(files.map((f) => f.path));
    return files.every((f) => !f.path.split('/').slice(0, -1).some((_, i, parts) => paths.has(parts.slice(0, i + 1).join('/'))));
  })
  .map(({ files, secrets, time, docker }): BundleInput => ({
    manifest: manifest({ compose_files: [files[0].path], env_files: [], secrets: Object.keys(secrets), created: time.toISOString() }),
    files,
    secrets,
    dockerConfig: docker,
    time,
  }));

describe('properties', () => {
  test('the same inputs give the same bytes, in any input order', () => {
    fc.assert(
      fc.property(bundleInput, (inp) => {
        const a = buildBundle(inp);
        const reordered = { ...inp, files: [...inp.files].reverse(), secrets: Object.fromEntries(Object.entries(inp.secrets ?? {}).reverse()) };
        const b = buildBundle(reordered);
        expect(b.bytes.equals(a.bytes)).toBe(true);
        expect(b.sha256).toBe(a.sha256);
      }),
      { numRuns: 60 },
    );
  });

  test('a different content gives a different digest', () => {
    fc.assert(
      fc.property(bundleInput, fc.string({ minLength: 1, maxLength: 20 }), (inp, extra) => {
        const changed = { ...inp, files: inp.files.map((f, i) => (i === 0 ? { ...f, content: f.content + extra } : f)) };
        expect(buildBundle(changed).sha256).not.toBe(buildBundle(inp).sha256);
      }),
      { numRuns: 40 },
    );
  });

  test('entries are sorted, relative, free of "..", and only files and folders', () => {
    fc.assert(
      fc.property(bundleInput, (inp) => {
        const entries = entriesOf(buildBundle(inp).bytes);
        const paths = entries.map((e) => e.path);
        expect(paths).toEqual([...paths].sort((a, b) => (a < b ? -1 : 1)));
        for (const e of entries) {
          expect(['File', 'Directory']).toContain(e.type);
          expect(e.path.startsWith('/')).toBe(false);
          expect(e.path.split('/')).not.toContain('..');
          expect(e.path).toMatch(/^(app\/|secrets\/|manifest\.json$|rollout\.env$|docker-config\.json$)/);
        }
      }),
      { numRuns: 60 },
    );
  });

  test('any path or secret name either is refused or lands safely under app/ or secrets/', () => {
    const anyName = fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('..', '../x', '/etc/passwd', 'a/../../b', './a', 'a//b', 'a\\b', 'a\0b', ' ', 'a/'));
    fc.assert(
      fc.property(anyName, anyName, (p, s) => {
        let b;
        try {
          b = buildBundle(input({ files: [...input().files, { path: p, content: 'x' }], manifest: manifest({ secrets: ['db_password', s] }), secrets: { db_password: 'x', [s]: 'y' } }));
        } catch (err) {
          expect(err).toBeInstanceOf(ConfigurationError);
          return;
        }
        expect(appPathProblem(p)).toBeNull();
        for (const e of entriesOf(b.bytes)) {
          expect(e.path.split('/')).not.toContain('..');
          expect(e.path.split('/').slice(0, -1)).not.toContain('');
          expect(e.path.startsWith('/')).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });
});

test('a file that is also a folder of another file is refused', () => {
  expect(() => buildBundle(input({ files: [...input().files, { path: 'env', content: '' }] }))).toThrow(/^bundle: app\/env is both a file and a folder/);
});

test('release ids starting with "." are refused, as rollout refuses them (its own working names start with a dot)', () => {
  for (const id of ['.', '..', '.incoming.x', '.current.tmp']) expect(isReleaseId(id), id).toBe(false);
  for (const id of ['rel.tmp', 'current', '20261201T000000Z-abc1234', 'v1.2']) expect(isReleaseId(id), id).toBe(true);
  expect(releaseIdProblem('.x')).toBe('release id ".x" must match [0-9A-Za-z._-]{1,64} and not start with "."');
});
