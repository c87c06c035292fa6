/**
 * What the compose file references from its own folder reaches the host and
 * is used there: a read-only bind-mounted folder (the app's docroot), an
 * env_file, a config file and the project .env for ${VAR} interpolation.
 * Deployed by the CLI over the real sshd and the forced rollout command,
 * through the host policy and HAProxy (world ID 61, one host). The compose
 * file also has `build:` next to `image:` (ignored with a note) and
 * `ports: ["8080"]` on the routed service (Docker picks the host port), so
 * the second deploy runs both colors side by side. A rollback serves the
 * first release's files again: they are part of the release.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, expect, test } from 'vitest';
import YAML from 'yaml';
import { main } from '../../src/cli/main';
import { MemoryLogger } from '../../src/core/logger';
import { startWorld, type World } from '../world/world';

const ID = 61;
const ROOT = path.resolve(__dirname, '../..');
const DIR = path.join(ROOT, '.tmp', `compose-shipped-${ID}`);
let world: World;

async function cli(argv: string[]): Promise<{ code: number; log: string }> {
  const stdout = new PassThrough();
  stdout.resume();
  const logger = new MemoryLogger();
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, DELIVERY_REGISTRY_PASSWORD: world.registryPassword };
  const code = await main(argv, { stdout, logger, env });
  return { code, log: logger.lines.join('\n') };
}

const fleet = () => ['--env', 'qa', '--file', path.join(DIR, 'Deliveryfile'), '--ssh-key', world.sshKeyPath, '--known-hosts', world.knownHostsPath, '--timeout', '120'];

async function get(p: string): Promise<string> {
  const h = world.hosts[0];
  const res = await fetch(`http://${h.addr}:${h.httpPort}${p}`, { signal: AbortSignal.timeout(5000) });
  return `${res.status} ${(await res.text()).trim()}`;
}

function site(version: string) {
  mkdirSync(path.join(DIR, 'site'), { recursive: true });
  writeFileSync(path.join(DIR, 'site/index.html'), `shipped-${version}\n`);
  writeFileSync(path.join(DIR, 'site/health'), 'ok\n');
}

/** The running web container of the app on host 1 (label set by rollout). */
function webContainer(): string {
  const ids = execFileSync('docker', ['ps', '-q', '--filter', 'label=delivery.app=e2e/shipped', '--filter', 'label=com.docker.compose.service=web'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  expect(ids).toHaveLength(1);
  return ids[0];
}

beforeAll(async () => {
  world = await startWorld({ id: ID, hosts: 1 });
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  writeFileSync(
    path.join(DIR, 'Deliveryfile'),
    YAML.stringify({
      application: 'e2e/shipped',
      router: 'haproxy',
      registry: world.registry,
      route: { service: 'web', port: 8080, path: '/shipped/', strip_prefix: true },
      health: { path: '/health', timeout: 30, stable: 1 },
      environments: { qa: { cluster: [world.clusterFile], files: ['compose.yml'] } },
    }),
  );
  writeFileSync(
    path.join(DIR, 'compose.yml'),
    [
      'services:',
      '  web:',
      `    image: ${world.testImage}:v1`,
      '    build: .',
      '    init: true',
      '    ports: ["8080"]',
      '    volumes: ["./site:/www:ro"]',
      '    env_file: [web.env]',
      '    labels: {greeting: "${GREETING}"}',
      '    configs: [{source: motd, target: /etc/motd}]',
      'configs:',
      '  motd: {file: ./motd.txt}',
      '',
    ].join('\n'),
  );
  writeFileSync(path.join(DIR, 'web.env'), 'FROM_ENV_FILE=yes\n');
  writeFileSync(path.join(DIR, 'motd.txt'), 'hello from a config file\n');
  writeFileSync(path.join(DIR, '.env'), 'GREETING=hi-from-dotenv\n');
  site('v1');
});

afterAll(async () => {
  await cli(['remove', ...fleet()]).catch(() => undefined);
  execFileSync('bash', [path.join(ROOT, 'test/world/world.sh'), 'down', String(ID)], { stdio: 'ignore' });
  rmSync(DIR, { recursive: true, force: true });
});

test('the referenced files are shipped, mounted and read on the host; a second deploy and a rollback use their own release files', async () => {
  const first = await cli(['deploy', ...fleet(), '--registry-username', world.registryUser]);
  if (first.code !== 0) console.log(first.log);
  expect(first.code).toBe(0);
  expect(first.log).toContain('note: build: ignored for web');
  expect(first.log).toMatch(/shipping what the compose files reference \(under app\/\): site\/ \(2 files\), web\.env, motd\.txt, \.env/);
  expect(await get('/shipped/')).toBe('200 shipped-v1');
  const c1 = webContainer();
  expect(execFileSync('docker', ['exec', c1, 'sh', '-c', 'echo $FROM_ENV_FILE; cat /etc/motd'], { encoding: 'utf8' })).toBe('yes\nhello from a config file\n');
  expect(execFileSync('docker', ['inspect', '-f', '{{index .Config.Labels "greeting"}}', c1], { encoding: 'utf8' }).trim()).toBe('hi-from-dotenv');

  site('v2');
  const second = await cli(['deploy', ...fleet(), '--registry-username', world.registryUser]);
  if (second.code !== 0) console.log(second.log);
  expect(second.code).toBe(0);
  expect(await get('/shipped/')).toBe('200 shipped-v2');

  const back = await cli(['rollback', ...fleet()]);
  if (back.code !== 0) console.log(back.log);
  expect(back.code).toBe(0);
  expect(await get('/shipped/')).toBe('200 shipped-v1');
});
