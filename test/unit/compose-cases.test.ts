/**
 * The compose shapes of issue 10, each by name, through loadPlan on real
 * files in a temporary folder. Where files are shipped, the bundle is
 * unpacked and the real `docker compose config` runs on it the way rollout
 * does (`--project-directory app/`): every bind mount, env file and config
 * file it resolves must be in the bundle.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { loadPlan, type LoadPlanOptions } from '../../src/adapters/load-plan';
import { MemoryLogger } from '../../src/core/logger';
import type { Plan } from '../../src/core/types';

const D = 'c'.repeat(64);
const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

type Tree = Record<string, string | { link: string }>;

function project(tree: Tree, deliveryfile?: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'compose-cases-'));
  roots.push(dir);
  for (const [p, v] of Object.entries(tree)) {
    const full = path.join(dir, p);
    mkdirSync(path.dirname(full), { recursive: true });
    if (typeof v === 'string') writeFileSync(full, v);
    else symlinkSync(v.link, full);
  }
  if (deliveryfile !== undefined || !tree.Deliveryfile) {
    writeFileSync(path.join(dir, 'Deliveryfile'), deliveryfile ?? df(['compose.yml']));
  }
  return dir;
}

function df(files: string[], extra = ''): string {
  return `application: shop/web\nenvironments:\n  qa:\n    cluster: [{hosts: [127.0.0.1]}]\n    files: [${files.join(', ')}]\n${extra}`;
}

async function planOf(dir: string, o: Partial<LoadPlanOptions> = {}): Promise<{ plan: Plan; log: MemoryLogger }> {
  const log = new MemoryLogger();
  const plan = await loadPlan({ file: path.join(dir, 'Deliveryfile'), env: 'qa', logger: log, gitSha: null, release: 'r1', now: new Date(0), ...o });
  return { plan, log };
}

async function refusal(dir: string, o: Partial<LoadPlanOptions> = {}): Promise<string> {
  try {
    await planOf(dir, o);
  } catch (err) {
    return (err as Error).message.split(dir + path.sep).join('');
  }
  throw new Error('expected a refusal');
}

/** The bundle unpacked into a fresh folder (the tar CLI, as rollout unpacks it). */
function unpack(plan: Plan): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'compose-bundle-'));
  roots.push(dir);
  execFileSync('tar', ['-xzf', '-', '-C', dir], { input: plan.bundle.bytes });
  return dir;
}

const hasCompose = (() => {
  try {
    execFileSync('docker', ['compose', 'version'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
})();

/**
 * Paths the real compose resolves on the host (binds, config/secret files),
 * relative to app/. It also reads every env_file (a missing one fails), and
 * lists their variables under environment.
 */
let environments: Record<string, Record<string, string>> = {};
function resolvedOnHost(release: string, plan: Plan): string[] {
  const app = path.join(release, 'app');
  const args = ['compose', '--project-directory', app];
  for (const f of plan.bundle.manifest.compose_files) args.push('-f', path.join(app, f));
  const json = JSON.parse(execFileSync('docker', [...args, 'config', '--format', 'json'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } }));
  const out: string[] = [];
  for (const s of Object.values(json.services ?? {}) as { volumes?: { type: string; source: string }[] }[]) {
    for (const v of s.volumes ?? []) if (v.type === 'bind') out.push(v.source);
  }
  environments = Object.fromEntries(Object.entries(json.services ?? {}).map(([k, v]) => [k, (v as { environment?: Record<string, string> }).environment ?? {}]));
  for (const kind of ['configs', 'secrets']) for (const c of Object.values(json[kind] ?? {}) as { file?: string }[]) if (c.file) out.push(c.file);
  return out.map((p) => path.relative(app, p));
}

describe('compose files refused wrongly before', () => {
  test('build: next to image: plans; build is ignored with one note', async () => {
    const dir = project({ 'compose.yml': 'services:\n  web:\n    build: .\n    image: shop/web:1\n  worker:\n    build: {context: ./w}\n    image: shop/worker:1\n' });
    const { plan, log } = await planOf(dir);
    expect(plan.bundle.manifest.services).toEqual(['web', 'worker']);
    const notes = log.lines.filter((l) => l.includes('build: ignored'));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toContain('build: ignored for web, worker: hosts never build (rollout runs compose with --no-build)');
  });

  test('extends: within the same file inherits the image', async () => {
    const dir = project({ 'compose.yml': `services:\n  base:\n    image: shop/web@sha256:${D}\n  web:\n    extends: base\n    environment: {MODE: web}\n  cron:\n    extends: {service: web}\n` });
    const { plan } = await planOf(dir);
    expect(plan.bundle.manifest.images).toEqual({ base: `shop/web@sha256:${D}`, web: `shop/web@sha256:${D}`, cron: `shop/web@sha256:${D}` });
  });

  test('extends: from another file plans, and that file is shipped', async () => {
    const dir = project({
      'compose.yml': 'services:\n  web:\n    extends: {file: common/base.yml, service: app}\n',
      'common/base.yml': `services:\n  app:\n    image: shop/web@sha256:${D}\n    env_file: app.env\n`,
      'common/app.env': 'A=1\n',
    });
    const { plan } = await planOf(dir);
    expect(plan.bundle.manifest.files).toEqual(['common/app.env', 'common/base.yml']);
    const rel = unpack(plan);
    expect(readFileSync(path.join(rel, 'app/common/base.yml'), 'utf8')).toContain('app:');
    if (hasCompose) {
      expect(resolvedOnHost(rel, plan)).toEqual([]);
      expect(environments.web).toEqual({ A: '1' });
    }
  });

  test('an override file with !reset and !override is checked on the merged model', async () => {
    const dir = project(
      {
        'compose.yml': 'services:\n  web:\n    build: .\n    image: shop/web:1\n    ports: ["80:8080"]\n  db:\n    image: postgres:16\n    ports: ["5432:5432"]\n    container_name: db\n',
        'compose.deploy.yml': 'services:\n  web:\n    build: !reset null\n    ports: !reset []\n  db:\n    ports: !override ["5432"]\n    container_name: !reset null\n',
      },
      df(['compose.yml', 'compose.deploy.yml'], 'route: {service: web, port: 8080, path: /shop/}\n'),
    );
    const { plan, log } = await planOf(dir);
    expect(plan.bundle.manifest.services).toEqual(['web', 'db']);
    expect(log.lines.some((l) => l.includes('build: ignored'))).toBe(false);
    // The first file alone is refused: the check is on the merged result.
    writeFileSync(path.join(dir, 'Deliveryfile'), df(['compose.yml'], 'route: {service: web, port: 8080, path: /shop/}\n'));
    expect(await refusal(dir)).toMatch(/^compose\.yml:5:5 services\.web\.ports: the routed service must not publish ports on fixed host ports/);
  });

  test('services of a profile are left out (rollout starts none), with a note', async () => {
    const dir = project({ 'compose.yml': 'services:\n  web:\n    image: shop/web:1\n  debug:\n    image: busybox\n    profiles: [debug]\n    ports: ["9000:9000"]\n    container_name: dbg\n' });
    const { plan, log } = await planOf(dir);
    expect(plan.bundle.manifest.services).toEqual(['web']);
    expect(log.lines.some((l) => l.includes('services in a profile are not deployed (rollout starts no profile): debug (debug)'))).toBe(true);
  });

  test('a routed service with ports: ["8080"] plans (Docker picks the host port)', async () => {
    const dir = project({ 'compose.yml': 'services:\n  web:\n    image: shop/web:1\n    ports: ["8080", {target: 9090}, "127.0.0.1::7070"]\n' }, df(['compose.yml'], 'route: {service: web, port: 8080, path: /shop/}\n'));
    expect((await planOf(dir)).plan.bundle.manifest.route?.service).toBe('web');
  });

  test('provider: gets a message that says what is unsupported', async () => {
    const dir = project({ 'compose.yml': 'services:\n  web:\n    image: shop/web:1\n  db:\n    provider:\n      type: awesomecloud\n      options: {type: mysql}\n' });
    expect(await refusal(dir)).toMatch(/^compose\.yml:5:5 services\.db\.provider: a provider service is not a container: compose hands it to a plugin \(provider\.type\)/);
    expect(await refusal(dir)).not.toContain('never build');
  });

  test.each(['constructor', '__proto__', 'toString'])('a service named %s plans and is pinned right', async (name) => {
    const dir = project({ 'compose.yml': `services:\n  ${name}:\n    image: shop/web:1\n` });
    const { plan } = await planOf(dir, { images: `${name}=shop/web@sha256:${D}` });
    expect(plan.bundle.manifest.services).toEqual([name]);
    expect(JSON.stringify(plan.bundle.manifest.images)).toBe(JSON.stringify({ [name]: `shop/web@sha256:${D}` }));
    const env = readFileSync(path.join(unpack(plan), 'rollout.env'), 'utf8');
    expect(env).toContain(`\nIMAGES=${name}=shop/web@sha256:${D}\n`);
  });

  test('a secret named constructor needs its own value', async () => {
    const dir = project({ 'compose.yml': 'services:\n  web:\n    image: shop/web:1\n' }, df(['compose.yml'], '    secrets: [constructor]\n'));
    expect(await refusal(dir, { secrets: 'OTHER=1\n' })).toMatch(/no value for secret constructor/);
    const { plan } = await planOf(dir, { secrets: 'constructor=s3cret\n' });
    expect(readFileSync(path.join(unpack(plan), 'secrets/constructor'), 'utf8')).toBe('s3cret');
  });
});

describe('what the compose files reference is shipped, or refused with the reason', () => {
  test('relative bind mounts (a file, a read-only folder), config and secret files, env_file and .env land where compose on the host looks', async () => {
    const dir = project({
      'compose.yml': [
        'services:',
        '  web:',
        '    image: nginx:1',
        '    env_file: [web.env]',
        '    volumes:',
        '      - ./nginx.conf:/etc/nginx/nginx.conf',
        '      - ./html:/usr/share/nginx/html:ro',
        '      - {type: bind, source: ./certs/site.pem, target: /etc/ssl/site.pem, read_only: true}',
        '      - cache:/var/cache/nginx',
        '    configs: [app]',
        '    secrets: [key]',
        'configs:',
        '  app: {file: ./config/app.json}',
        'secrets:',
        '  key: {file: ./secret.key}',
        'volumes:',
        '  cache: {}',
        '',
      ].join('\n'),
      'nginx.conf': 'events {}\n',
      'html/index.html': '<p>hi</p>\n',
      'html/img/a.txt': 'a\n',
      'certs/site.pem': 'PEM\n',
      'config/app.json': '{}\n',
      'secret.key': 'k\n',
      'web.env': 'A=1\n',
      '.env': 'TAG=1\n',
    });
    const { plan, log } = await planOf(dir);
    expect(plan.bundle.manifest.files).toEqual(['nginx.conf', 'html/img/a.txt', 'html/index.html', 'certs/site.pem', 'web.env', 'config/app.json', 'secret.key', '.env']);
    expect(log.lines.find((l) => l.includes('shipping what the compose files reference'))).toContain('html/ (2 files)');
    const rel = unpack(plan);
    expect(readFileSync(path.join(rel, 'app/html/img/a.txt'), 'utf8')).toBe('a\n');
    if (hasCompose) {
      const resolved = resolvedOnHost(rel, plan);
      expect(resolved.sort()).toEqual(['certs/site.pem', 'config/app.json', 'html', 'nginx.conf', 'secret.key']);
      expect(environments.web).toEqual({ A: '1' });
      for (const p of resolved) expect(existsSync(path.join(rel, 'app', p)), p).toBe(true);
    }
  });

  test('a compose file in a subfolder: its references are read next to it and land where the host resolves them', async () => {
    const dir = project(
      { 'deploy/compose.yml': 'services:\n  web:\n    image: nginx:1\n    volumes: ["./conf/site.conf:/etc/nginx/conf.d/site.conf:ro"]\n', 'deploy/conf/site.conf': 'server {}\n', 'deploy/.env': 'X=1\n' },
      df(['deploy/compose.yml']),
    );
    const { plan } = await planOf(dir);
    expect(plan.bundle.manifest.files).toEqual(['conf/site.conf', '.env']);
    const rel = unpack(plan);
    expect(readFileSync(path.join(rel, 'app/conf/site.conf'), 'utf8')).toBe('server {}\n');
    if (hasCompose) expect(resolvedOnHost(rel, plan)).toEqual(['conf/site.conf']);
  });

  test.each([
    ['the whole project folder', 'volumes: [".:/src"]', {}, /services\.web\.volumes: \. is the whole project folder \(a development setup\)/],
    ['a writable folder', 'volumes: ["./data:/var/lib/data"]', { 'data/x': '1' }, /\.\/data is a writable folder mount; .*gone on the next deploy; for data use a named volume/],
    ['a missing bind source', 'volumes: ["./nope:/x"]', {}, /\.\/nope does not exist; on the host compose would create an empty folder inside the release/],
    ['a path outside the folder', 'volumes: ["../up:/x:ro"]', {}, /\.\.\/up is outside the Deliveryfile's folder/],
    ['a home folder', 'volumes: ["~/x:/x"]', {}, /~\/x is a home folder/],
    ['a missing env_file', 'env_file: [missing.env]', {}, /services\.web\.env_file: file not found: missing\.env/],
    ['an absolute env_file', 'env_file: [/etc/app.env]', {}, /\/etc\/app\.env is a path on the host/],
  ])('%s is refused', async (_n, yaml, tree, expected) => {
    const dir = project({ 'compose.yml': `services:\n  web:\n    image: nginx:1\n    ${yaml}\n`, ...tree });
    expect(await refusal(dir)).toMatch(expected);
  });

  test('a missing env_file with required: false is fine', async () => {
    const dir = project({ 'compose.yml': 'services:\n  web:\n    image: nginx:1\n    env_file: [{path: local.env, required: false}]\n' });
    expect((await planOf(dir)).plan.bundle.manifest.files).toBeUndefined();
  });

  test('a fixed host port on an unrouted service is refused with the fix', async () => {
    const dir = project({ 'compose.yml': 'services:\n  web:\n    image: nginx:1\n  db:\n    image: postgres:16\n    ports: ["127.0.0.1:5432:5432"]\n' });
    expect(await refusal(dir)).toMatch(
      /^compose\.yml:6:5 services\.db\.ports: fixed host port 5432 \("127\.0\.0\.1:5432:5432"\): .*publish the container port alone \(Docker picks the host port\), drop it in an override file with "ports: !reset \[\]", or route the service/,
    );
  });
});

describe('links that lead outside the Deliveryfile folder are refused like ../', () => {
  test.each([
    ['a compose file', { 'compose.yml': { link: '/etc/passwd' } }, df(['compose.yml']), /environments\.qa\.files\[0\]: compose\.yml resolves to \/etc\/passwd, outside the Deliveryfile's folder/],
    ['an env file', { 'compose.yml': 'services:\n  web:\n    image: nginx:1\n', 'prod.env': { link: '/etc/hostname' } }, df(['compose.yml'], '    env_files: [prod.env]\n'), /environments\.qa\.env_files\[0\]: prod\.env resolves to \/etc\/hostname, outside/],
    ['a bind-mounted file', { 'compose.yml': 'services:\n  web:\n    image: nginx:1\n    volumes: ["./passwd:/x:ro"]\n', passwd: { link: '/etc/passwd' } }, undefined, /passwd resolves to \/etc\/passwd, outside the Deliveryfile's folder/],
    ['a link inside a shipped folder', { 'compose.yml': 'services:\n  web:\n    image: nginx:1\n    volumes: ["./conf:/x:ro"]\n', 'conf/a': 'a', 'conf/b': { link: '/etc/passwd' } }, undefined, /conf\/b resolves to \/etc\/passwd, outside/],
  ] as [string, Tree, string | undefined, RegExp][])('%s', async (_n, tree, deliveryfile, expected) => {
    const dir = project(tree, deliveryfile);
    expect(await refusal(dir)).toMatch(expected);
  });

  test('a link that stays inside is followed and shipped as a regular file', async () => {
    const dir = project({ 'compose.yml': { link: 'real/compose.yml' }, 'real/compose.yml': 'services:\n  web:\n    image: nginx:1\n' });
    const { plan } = await planOf(dir);
    expect(readFileSync(path.join(unpack(plan), 'app/compose.yml'), 'utf8')).toContain('nginx:1');
  });
});

test('rollback_window goes into the manifest and rollout.env', async () => {
  const dir = project({ 'compose.yml': 'services:\n  web:\n    image: nginx:1\n' }, df(['compose.yml'], 'rollback_window: 300\n'));
  const { plan } = await planOf(dir);
  expect(plan.bundle.manifest.rollback_window).toBe(300);
  expect(readFileSync(path.join(unpack(plan), 'rollout.env'), 'utf8')).toMatch(/^ROLLBACK_WINDOW=300$/m);
  const none = project({ 'compose.yml': 'services:\n  web:\n    image: nginx:1\n' });
  const p2 = (await planOf(none)).plan;
  expect(p2.bundle.manifest.rollback_window).toBeUndefined();
  expect(readFileSync(path.join(unpack(p2), 'rollout.env'), 'utf8')).not.toContain('ROLLBACK_WINDOW');
  const bad = project({ 'compose.yml': 'services:\n  web:\n    image: nginx:1\n' }, df(['compose.yml'], 'rollback_window: -1\n'));
  expect(await refusal(bad)).toMatch(/^.*Deliveryfile:6:18 rollback_window: expected seconds the old color stays up after a switch \(0: off\) of at least 0/);
});
