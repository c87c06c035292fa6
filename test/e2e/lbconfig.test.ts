/**
 * The generated balancer configs, run by the real binaries: `apache2 -t` and
 * `haproxy -c` accept them, and a real Apache and a real HAProxy configured by
 * them never hand a client the teapot. The "hosts" here are stand-in routers
 * (one HAProxy process answering like the hosts' routers: 200 on the app's
 * route, 418 for everything else, or 418 only); the whole path with real hosts
 * is test/e2e/seed-path.test.ts. World ID 40: addresses 127.40.0.x.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { main } from '../../src/cli/main';
import { lbConfig, type LbInput } from '../../src/core/lbconfig';
import { MemoryLogger } from '../../src/core/logger';

const ROOT = path.resolve(__dirname, '../..');
const DIR = path.join(ROOT, '.tmp', 'lbconfig-40');
const APACHE = path.join(ROOT, 'scripts/bench/apache.sh');

const app: LbInput = {
  application: 'demo/web',
  environment: 'prod',
  route: { path: '/web/', host: null, strip_prefix: true },
  healthPath: '/health',
  hosts: [
    { name: 'h10', host: '127.40.0.10', httpPort: 8081 },
    { name: 'h11', host: '127.40.0.11', httpPort: 8081 }, // the app is not deployed here
    { name: 'h12', host: '127.40.0.12', httpPort: 8081 },
  ],
  preview: { path: '/pr-{number}/', host: null, hosts: [{ name: 'qa', host: '127.40.0.13', httpPort: 8081 }] },
};

// Stand-in routers: what a host's HAProxy router answers.
const ROUTERS = `
global
    log stderr local0 err
    pidfile ${DIR}/routers.pid
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend h10
    bind 127.40.0.10:8081
    http-request return status 200 content-type text/plain string "web from h10" if { path_beg /web/ }
    http-request return status 418 content-type text/plain string "teapot"
frontend h11
    bind 127.40.0.11:8081
    http-request return status 418 content-type text/plain string "teapot"
frontend h12
    bind 127.40.0.12:8081
    http-request return status 200 content-type text/plain string "web from h12" if { path_beg /web/ }
    http-request return status 418 content-type text/plain string "teapot"
frontend qa
    bind 127.40.0.13:8081
    http-request return status 200 content-type text/plain string "preview 7" if { path_beg /pr-7/ }
    http-request return status 418 content-type text/plain string "teapot"
`;

function sh(cmd: string, args: string[]) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { code: r.status, out: (r.stdout ?? '') + (r.stderr ?? '') };
}

async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: await res.text() };
}

async function waitFor(url: string, ok: (s: number) => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      if (ok((await get(url)).status)) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function count(url: string, n: number): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const { status, body } = await get(url);
    const k = `${status} ${body}`;
    seen[k] = (seen[k] ?? 0) + 1;
  }
  return seen;
}

beforeAll(() => {
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  writeFileSync(path.join(DIR, 'routers.cfg'), ROUTERS);
  execFileSync('haproxy', ['-D', '-f', path.join(DIR, 'routers.cfg')], { stdio: 'ignore' });
});

afterAll(() => {
  sh('bash', [APACHE, 'stop', path.join(DIR, 'apache')]);
  for (const pidfile of ['routers.pid', 'haproxy-lb.pid']) {
    try {
      process.kill(Number(readFileSync(path.join(DIR, pidfile), 'utf8').trim()));
    } catch {
      /* not running */
    }
  }
});

describe('apache2 -t and haproxy -c accept the generated configs', () => {
  const variants: [string, LbInput][] = [
    ['path route with preview', app],
    ['host route', { ...app, route: { path: null, host: 'web.example.org', strip_prefix: false }, preview: null }],
    ['host and path, no health path', { ...app, route: { path: '/w/', host: 'web.example.org', strip_prefix: false }, healthPath: null }],
    ['preview by host name', { ...app, preview: { path: null, host: 'pr-{number}.qa.example.org', hosts: app.preview!.hosts } }],
    ['no route', { ...app, route: null }],
  ];
  it.each(variants)('apache: %s', (name, input) => {
    const file = path.join(DIR, `check-${name.replace(/\W+/g, '-')}.conf`);
    writeFileSync(file, lbConfig(input, { format: 'apache' }).text);
    const r = sh('bash', [APACHE, 'check', path.join(DIR, 'check-apache'), '127.40.0.1:8090', file]);
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
  });
  it.each(variants)('haproxy: %s', (name, input) => {
    const file = path.join(DIR, `check-${name.replace(/\W+/g, '-')}.cfg`);
    writeFileSync(file, lbConfig(input, { format: 'haproxy', bind: '127.40.0.1:8091' }).text);
    const r = sh('haproxy', ['-c', '-f', file]);
    expect(r.out).toContain('Configuration file is valid');
    expect(r.out).not.toMatch(/\[WARNING\]|\[ALERT\]/);
    expect(r.code).toBe(0);
  });
});

it('delivery lb-config --probe names the host whose router answers 418', async () => {
  writeFileSync(
    path.join(DIR, 'Deliveryfile'),
    'application: demo/web\nroute: {service: web, port: 8080, path: /web/, strip_prefix: true}\nhealth: {path: /health}\n' +
      'environments:\n  prod:\n    cluster: [cluster.yml]\n    files: [compose.yml]\n',
  );
  writeFileSync(path.join(DIR, 'compose.yml'), 'services:\n  web:\n    image: demo/web\n');
  writeFileSync(path.join(DIR, 'cluster.yml'), 'http_port: 8081\nhosts:\n' + app.hosts.map((h) => `  - {host: ${h.host}, name: ${h.name}}\n`).join(''));
  const logger = new MemoryLogger();
  const stdout = new PassThrough();
  const code = await main(['lb-config', '--env', 'prod', '--file', path.join(DIR, 'Deliveryfile'), '--probe'], { logger, stdout, env: {} });
  expect(code).toBe(0);
  const log = logger.lines.join('\n');
  expect(log).toContain('warning: h11 (http://127.40.0.11:8081/web/health) answers 418: the app is not deployed there');
  expect(log).toContain('h10 (http://127.40.0.10:8081/web/health) answers 200');
  expect(log).not.toMatch(/h1[02] .*answers 418/);
});

it('the balancer, demo and bench scripts pass shellcheck', () => {
  const r = sh('shellcheck', ['-x', path.join(ROOT, 'scripts/bench/apache.sh'), path.join(ROOT, 'scripts/demo.sh'), path.join(ROOT, 'scripts/bench.sh')]);
  expect(r.out).toBe('');
  expect(r.code).toBe(0);
});

describe('no client sees the teapot', () => {
  it('apache: only hosts that run the app get requests; previews go to the QA host', async () => {
    const file = path.join(DIR, 'lb-apache.conf');
    writeFileSync(file, lbConfig(app, { format: 'apache', checkInterval: 1 }).text);
    execFileSync('bash', [APACHE, 'start', path.join(DIR, 'apache'), '127.40.0.1:8080', file]);
    // Right after start every member waits for its first check: 503, never 418.
    await waitFor('http://127.40.0.1:8080/web/', (s) => s === 200, 'the first passing check');
    const seen = await count('http://127.40.0.1:8080/web/', 60);
    console.log('apache, 60 requests:', seen);
    expect(Object.keys(seen).sort()).toEqual(['200 web from h10', '200 web from h12']);
    expect(await get('http://127.40.0.1:8080/pr-7/x')).toEqual({ status: 200, body: 'preview 7' });
    // A preview that exists nowhere: the QA router's teapot, passed on.
    expect((await get('http://127.40.0.1:8080/pr-8/')).status).toBe(418);
  });

  it('haproxy: same', async () => {
    const file = path.join(DIR, 'lb-haproxy.cfg');
    const text = lbConfig(app, { format: 'haproxy', bind: '127.40.0.1:8082', checkInterval: 1 }).text;
    writeFileSync(file, `global\n    pidfile ${DIR}/haproxy-lb.pid\n    log stderr local0 err\n\n` + text);
    execFileSync('haproxy', ['-D', '-f', file], { stdio: 'ignore' });
    // HAProxy 2.6 starts servers up until their first check (README caveat): wait for one round.
    await new Promise((r) => setTimeout(r, 1500));
    const seen = await count('http://127.40.0.1:8082/web/', 60);
    console.log('haproxy, 60 requests:', seen);
    expect(Object.keys(seen).sort()).toEqual(['200 web from h10', '200 web from h12']);
    expect(await get('http://127.40.0.1:8082/pr-7/x')).toEqual({ status: 200, body: 'preview 7' });
    expect((await get('http://127.40.0.1:8082/elsewhere')).status).toBe(418);
  });
});
