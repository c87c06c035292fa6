import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadDeliveryfile, loadPlan, previewUrl } from '../../src/adapters/load-plan';
import { MemoryLogger } from '../../src/core/logger';

const ROOT = path.join(__dirname, '../..');
const APP = path.join(ROOT, 'examples/app/Deliveryfile');
const DIGEST = `127.0.0.1:5000/examples/hello@sha256:${'e'.repeat(64)}`;

describe('examples/app', () => {
  test('qa plans cleanly: route, health, env file, one host', async () => {
    const logger = new MemoryLogger();
    const p = await loadPlan({ file: APP, env: 'qa', logger, images: DIGEST, gitSha: null, processEnv: {} });
    expect(p.warnings).toEqual([]);
    expect(p.steps.map((s) => `${s.host.name} ${s.host.host}:${s.host.port} http ${s.host.httpPort}`)).toEqual(['qa1 127.0.0.11:2222 http 8080']);
    const m = p.bundle.manifest;
    expect(m.route).toEqual({ service: 'web', port: 8080, path: '/hello/', host: null, strip_prefix: true });
    expect(m.health).toEqual({ timeout: 60, stable: 2, path: '/health' });
    expect(m.images).toEqual({ web: DIGEST });
    expect(m.env_files).toEqual(['env/qa.env']);
  });

  test('prod rolls half of the hosts at a time; a tag without --images is a warning', async () => {
    const p = await loadPlan({ file: APP, env: 'prod', logger: new MemoryLogger(), gitSha: null, processEnv: {} });
    expect(p.batches.map((b) => b.map((h) => h.name))).toEqual([['prod1', 'prod2'], ['prod3']]);
    expect(p.warnings).toHaveLength(1);
    expect(p.warnings[0]).toMatch(/services\.web\.image: image 127\.0\.0\.1:5000\/examples\/hello:latest is a tag/);
  });

  test('a preview gets its own app and route', async () => {
    const p = await loadPlan({ file: APP, env: 'qa', logger: new MemoryLogger(), images: DIGEST, preview: { number: 7 }, gitSha: null, processEnv: {} });
    expect(p.application).toBe('examples/hello-pr-7');
    expect(p.bundle.manifest.route?.path).toBe('/hello-pr-7/');
    expect(previewUrl(await loadDeliveryfile(APP), 7)).toBe('http://127.0.0.1:8080/hello-pr-7/');
  });

  test('docker compose accepts the compose files with the variables rollout provides', () => {
    for (const dir of ['examples/app', 'examples/seed']) {
      for (const f of dir.endsWith('seed') ? ['docker-compose.yml', 'docker-compose-qa.yml'] : ['docker-compose.yml']) {
        execFileSync('docker', ['compose', '-f', f, 'config', '-q'], {
          cwd: path.join(ROOT, dir),
          env: { PATH: process.env.PATH, DELIVERY_NAME: 'examples_hello', DELIVERY_ROUTE_PATH: '/hello/', DELIVERY_ROUTE_PORT: '8080' },
          stdio: ['ignore', 'ignore', 'pipe'],
        });
      }
    }
  });
});
