/**
 * examples/app builds FROM delivery/base:busybox (made by `world.sh base`),
 * serves the version given as a build argument, and turns healthy through
 * its Docker health check. Names carry the prefix e62 and are removed after.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';

const ROOT = path.join(__dirname, '../..');
const IMAGE = 'delivery-e62/hello:e2e';
const NAME = 'e62-examples-app';

const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

afterAll(() => {
  try {
    docker('rm', '-f', NAME);
  } catch {
    /* not running */
  }
  try {
    docker('rmi', IMAGE);
  } catch {
    /* not built */
  }
});

test('examples/app builds, serves its version and becomes healthy', async () => {
  execFileSync('bash', [path.join(ROOT, 'test/world/world.sh'), 'base'], { stdio: ['ignore', 'ignore', 'pipe'] });
  docker('build', '-q', '--build-arg', 'VERSION=v62', '-t', IMAGE, path.join(ROOT, 'examples/app'));
  docker('run', '-d', '--name', NAME, '--init', '--network', 'none', IMAGE);
  let health = '';
  for (let i = 0; i < 60 && health !== 'healthy'; i++) {
    await new Promise((r) => setTimeout(r, 500));
    health = docker('inspect', '-f', '{{.State.Health.Status}}', NAME);
  }
  expect(health).toBe('healthy');
  expect(docker('exec', NAME, 'wget', '-q', '-O', '-', 'http://127.0.0.1:8080/version')).toBe('v62');
  expect(docker('exec', NAME, 'wget', '-q', '-O', '-', 'http://127.0.0.1:8080/')).toBe('v62');
});
