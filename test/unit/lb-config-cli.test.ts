import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { MemoryLogger } from '../../src/core/logger';

const dir = mkdtempSync(path.join(tmpdir(), 'lb-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

writeFileSync(
  path.join(dir, 'Deliveryfile'),
  `version: 1.0
application: shop/web
route:
  service: web
  port: 8080
  path: /web/
  strip_prefix: true
health:
  path: /health
preview:
  route:
    path: /web-pr-{number}/
environments:
  qa:
    cluster:
      - hosts: [qa1.example.org]
    files: [compose.yml]
  prod:
    cluster:
      - ./prod.yml
    files: [compose.yml]
`,
);
writeFileSync(path.join(dir, 'compose.yml'), 'services:\n  web:\n    image: shop/web\n');
writeFileSync(path.join(dir, 'prod.yml'), 'http_port: 8080\nhosts:\n  - web1.example.org\n  - host: 10.0.0.2\n    http_port: 81\n');

async function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (c) => (out += c));
  const logger = new MemoryLogger();
  const code = await main(argv, { stdout, logger, env });
  return { code, out, log: logger.lines.join('\n') };
}

describe('delivery lb-config', () => {
  const file = path.join(dir, 'Deliveryfile');

  it('apache: the prod hosts at their http_port, the previews to the qa hosts', async () => {
    const r = await run(['lb-config', '--env', 'prod', '--file', file, '--format', 'apache']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('BalancerMember "http://web1.example.org:8080" retry=10 timeout=2');
    expect(r.out).toContain('BalancerMember "http://10.0.0.2:81" retry=10 timeout=2');
    expect(r.out).toContain('hcuri=/web/health');
    expect(r.out).toContain('ProxyPassMatch "^(/web-pr-[0-9]+/.*)$" "balancer://shop_web_previews$1"');
    expect(r.out).toContain('BalancerMember "http://qa1.example.org:80"');
    expect(r.log).toContain('answers 418 itself');
  });

  it('haproxy, from the environment variables', async () => {
    const r = await run(['lb-config'], { DELIVERY_ENV: 'prod', DELIVERY_FILE: file, DELIVERY_FORMAT: 'haproxy' });
    expect(r.code).toBe(0);
    expect(r.out).toContain('http-check expect status 200');
    expect(r.out).toContain('server web1.example.org-1 web1.example.org:8080');
  });

  it.each([
    [['lb-config', '--file', file], /--env is required/],
    [['lb-config', '--env', 'prod', '--file', file, '--format', 'nginx'], /--format "nginx": expected apache or haproxy/],
    [['lb-config', '--env', 'prd', '--file', file], /no environment "prd"; did you mean "prod"/],
    [['lb-config', '--env', 'prod', '--file', path.join(dir, 'nope')], /no such file/],
  ])('%j exits 2 with a clear message', async (argv, message) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.log).toMatch(message);
    expect(r.out).toBe('');
  });
});
