/**
 * The CLI people install: `npm pack` makes the package of a release, and
 * `npm install -g --prefix DIR ./delivery-X.Y.Z.tgz --offline` installs it
 * into a clean folder without the registry (the bundle carries every
 * dependency; the package declares none). From there `delivery --version`
 * and `delivery plan` run; the host files `setup` uploads sit where it looks
 * for them (src/host/, two folders up from the CLI). Packs what the working tree holds (dist/cli/index.js is
 * rebuilt by `npm run build`; test/unit/dist.test.ts checks it is fresh).
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  version: string;
  bin: Record<string, string>;
  files: string[];
  dependencies?: Record<string, string>;
};
const tmp = mkdtempSync(path.join(tmpdir(), 'package-test-'));
const prefix = path.join(tmp, 'prefix');
const work = path.join(tmp, 'work');
let tarball = '';
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** npm with its own empty cache and no registry: nothing can come from the network. */
const npmEnv = { PATH: process.env.PATH, HOME: tmp, npm_config_cache: path.join(tmp, 'cache'), npm_config_registry: 'http://127.0.0.1:9/', npm_config_update_notifier: 'false', npm_config_audit: 'false', npm_config_fund: 'false' };

beforeAll(async () => {
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: root, env: { ...process.env, npm_config_update_notifier: 'false' }, timeout: 120_000 });
  tarball = path.join(tmp, (JSON.parse(stdout) as { filename: string }[])[0].filename);
  await run('npm', ['install', '-g', '--prefix', prefix, '--offline', tarball], { cwd: tmp, env: npmEnv, timeout: 120_000 });
  cpSync(path.join(root, 'examples/seed'), work, { recursive: true });
}, 240_000);

describe('the delivery package', () => {
  it('has no runtime dependencies (the bundle carries them) and holds the CLI and the host files', async () => {
    expect(pkg.dependencies ?? {}).toEqual({});
    expect(path.basename(tarball)).toBe(`delivery-${pkg.version}.tgz`);
    const { stdout } = await run('tar', ['tzf', tarball]);
    const files = stdout.trim().split('\n').map((f) => f.replace(/^package\//, '')).sort();
    expect(files).toEqual(
      ['CHANGELOG.md', 'LICENSE', 'README.md', 'package.json', 'dist/cli/index.js', 'src/host/install.sh', 'src/host/rollout', 'src/host/traefik/docker-compose.yml', 'src/host/traefik/teapot/Dockerfile', 'src/host/traefik/teapot/teapot.sh'].sort(),
    );
  });

  it('installs offline into a clean folder, with no node_modules beside the CLI', () => {
    const lib = path.join(prefix, 'lib/node_modules/delivery');
    expect(existsSync(path.join(lib, 'dist/cli/index.js'))).toBe(true);
    expect(existsSync(path.join(lib, 'node_modules'))).toBe(false);
    expect(statSync(path.join(prefix, 'bin/delivery')).isFile()).toBe(true);
    // The host script keeps its mode: setup uploads it as it is.
    expect(statSync(path.join(lib, 'src/host/rollout')).mode & 0o111).not.toBe(0);
  });

  it('delivery --version prints the version of the release', async () => {
    const { stdout } = await run(path.join(prefix, 'bin/delivery'), ['--version'], { cwd: work, env: { PATH: process.env.PATH, HOME: tmp } });
    expect(stdout).toBe(`delivery ${pkg.version}\n`);
  });

  it('delivery plan runs from there, on a Deliveryfile in the working folder', async () => {
    const { stdout } = await run(path.join(prefix, 'bin/delivery'), ['plan', '--env', 'qa', '--json', '--release', '20261201T000000Z-abc1234'], { cwd: work, env: { PATH: process.env.PATH, HOME: tmp } });
    const j = JSON.parse(stdout);
    expect(j).toMatchObject({ ok: true, application: 'bit-docker/teapot', environment: 'qa', release: '20261201T000000Z-abc1234' });
    expect(j.hosts.length).toBeGreaterThan(0);
    expect(j.hosts[0].command).toMatch(/^rollout deploy bit-docker\/teapot --release 20261201T000000Z-abc1234/);
  });

  it('npx runs the same tarball', async () => {
    const { stdout } = await run('npx', ['--offline', '--yes', `--package=${tarball}`, 'delivery', '--version'], { cwd: work, env: npmEnv, timeout: 120_000 });
    expect(stdout).toBe(`delivery ${pkg.version}\n`);
  }, 120_000);
});
