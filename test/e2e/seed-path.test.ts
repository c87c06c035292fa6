/**
 * The seed's whole path: Apache balancer (configured by `delivery lb-config`)
 * → the hosts' HAProxy routers → the app containers, deployed by the real
 * CLI over real SSH (the forced `rollout` command), the image pulled from the
 * real registry with a password. World ID 41: three hosts; the app runs on
 * h1 and h2 only (environment `two`), the balancer knows all three
 * (environment `all`), so h3 answers 418 and must never reach a client.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { main } from '../../src/cli/main';
import { MemoryLogger } from '../../src/core/logger';
import { startWorld, type World } from '../world/world';

const ID = 41;
const ROOT = path.resolve(__dirname, '../..');
const DIR = path.join(ROOT, '.tmp', `seed-path-${ID}`);
const APACHE = path.join(ROOT, 'scripts/bench/apache.sh');
const LOAD = path.join(ROOT, 'scripts/bench/load.mjs');
const LB = `127.${ID}.0.1:8080`;
const URL_ = `http://${LB}/web/`;

let world: World;
/** Access log lines written before the tests (the 503s while no member had passed its first check). */
let logStart = 0;
let digests: Record<string, string>;

async function cli(argv: string[]): Promise<{ code: number; out: string; log: string }> {
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (c) => (out += c));
  const logger = new MemoryLogger();
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, DELIVERY_REGISTRY_PASSWORD: world.registryPassword };
  const code = await main(argv, { stdout, logger, env });
  return { code, out, log: logger.lines.join('\n') };
}

const fleetArgs = () => [
  '--file', path.join(DIR, 'Deliveryfile'),
  '--ssh-key', world.sshKeyPath,
  '--known-hosts', world.knownHostsPath,
  '--timeout', '120',
];

async function deploy(version: string) {
  const r = await cli(['deploy', '--env', 'two', ...fleetArgs(), '--images', `web=${digests[version]}`, '--registry-username', world.registryUser]);
  if (r.code !== 0) console.log(r.log);
  return r;
}

async function get(url: string): Promise<{ status: number; body: string }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    return { status: res.status, body: (await res.text()).trim() };
  } catch {
    return { status: 0, body: '' };
  }
}

async function until(what: string, cond: () => Promise<boolean>, seconds = 30) {
  for (let i = 0; i < seconds * 5; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out after ${seconds}s waiting for ${what}`);
}

interface LoadResult {
  requests: number;
  ok: number;
  failures: number;
  statuses: Record<string, number>;
  errors: Record<string, number>;
  bodies: Record<string, number>;
}

/** Runs the bounded request loop (a child process) around `during`. */
async function underLoad(during: () => Promise<void>): Promise<LoadResult> {
  const child = spawn(process.execPath, [LOAD, URL_, '--connections', '4', '--pause', '2', '--max-seconds', '240'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  const done = new Promise<void>((r) => child.on('exit', () => r()));
  await new Promise((r) => setTimeout(r, 500));
  try {
    await during();
  } finally {
    child.kill('SIGTERM');
    await done;
  }
  return JSON.parse(out) as LoadResult;
}

/** Client responses per balancer member, from the Apache access log (status, worker). */
function accessLog(): { status: string; worker: string }[] {
  return readFileSync(path.join(DIR, 'apache', 'access.log'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .slice(logStart)
    .map((l) => {
      const [status, , , worker] = l.split(' ');
      return { status, worker };
    });
}

beforeAll(async () => {
  world = await startWorld({ id: ID, hosts: 3 });
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  digests = {};
  for (const v of ['v1', 'v2']) {
    const out = execFileSync('docker', ['image', 'inspect', '--format', '{{range .RepoDigests}}{{println .}}{{end}}', `${world.testImage}:${v}`], { encoding: 'utf8' });
    const d = out.split('\n').find((l) => l.startsWith(world.testImage + '@sha256:'));
    if (!d) throw new Error(`no registry digest for ${world.testImage}:${v}`);
    digests[v] = d;
  }
  const cluster = YAML.parse(readFileSync(world.clusterFile, 'utf8')) as { http_port: number; hosts: unknown[] };
  writeFileSync(path.join(DIR, 'two.yml'), YAML.stringify({ ...cluster, hosts: cluster.hosts.slice(0, 2) }));
  writeFileSync(
    path.join(DIR, 'Deliveryfile'),
    YAML.stringify({
      version: 1.0,
      application: 'e2e/web',
      router: 'haproxy',
      registry: world.registry,
      route: { service: 'web', port: 8080, path: '/web/', strip_prefix: true },
      health: { path: '/health', timeout: 30, stable: 1 },
      images: { web: world.testImage },
      environments: {
        all: { cluster: [world.clusterFile], files: ['compose.yml'] },
        two: { cluster: ['two.yml'], files: ['compose.yml'] },
      },
    }),
  );
  writeFileSync(path.join(DIR, 'compose.yml'), `services:\n  web:\n    image: ${world.testImage}:v1\n    init: true\n`);
  const r = await deploy('v1');
  expect(r.code).toBe(0);
  // The balancer, configured by the CLI from the environment with all three hosts.
  const lb = await cli(['lb-config', '--env', 'all', '--file', path.join(DIR, 'Deliveryfile'), '--format', 'apache', '--probe']);
  expect(lb.code).toBe(0);
  expect(lb.log).toMatch(/h3 \(http:\/\/127\.41\.0\.13:8080\/web\/health\) answers 418/);
  expect(lb.log).toMatch(/h1 .* answers 200/);
  writeFileSync(path.join(DIR, 'lb.conf'), lb.out);
  execFileSync('bash', [APACHE, 'start', path.join(DIR, 'apache'), LB, path.join(DIR, 'lb.conf')]);
  await until('the balancer to answer v1', async () => (await get(URL_)).body === 'v1');
  logStart = accessLog().length;
}, 300_000);

afterAll(async () => {
  try {
    execFileSync('bash', [APACHE, 'stop', path.join(DIR, 'apache')]);
  } catch {
    /* not started */
  }
  await world?.stop();
}, 120_000);

describe('Apache → routers → containers', () => {
  it('a host without the app answers 418, and no 418 reaches a client', async () => {
    const h3 = world.hosts[2];
    expect((await get(`http://${h3.addr}:${h3.httpPort}/web/`)).status).toBe(418);
    const statuses: Record<number, number> = {};
    for (let i = 0; i < 150; i++) {
      const { status } = await get(URL_);
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
    console.log('150 requests through the balancer:', statuses);
    expect(statuses).toEqual({ 200: 150 });
    const log = accessLog();
    expect(log.filter((l) => l.status === '418')).toEqual([]);
    expect(log.filter((l) => l.worker.includes(h3.addr))).toEqual([]);
    // both hosts with the app got requests
    for (const h of world.hosts.slice(0, 2)) expect(log.some((l) => l.worker.includes(h.addr))).toBe(true);
  });

  it('one router stopped: requests keep succeeding; started again: it gets traffic back', async () => {
    const h1 = world.hosts[0];
    const pidFile = path.join(world.dir, 'h1', 'haproxy.pid');
    const cfg = path.join(h1.root, 'etc', 'haproxy', 'haproxy.cfg');
    const down = await underLoad(async () => {
      // Stopped gracefully (HAProxy's soft stop: no new connections, requests in flight finish),
      // as a host taken out for maintenance; a hard kill also fails the requests it is serving.
      process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 'SIGUSR1');
      await until('h1 router to be down', async () => (await get(`http://${h1.addr}:${h1.httpPort}/`)).status === 0);
      await new Promise((r) => setTimeout(r, 3000));
    });
    console.log('h1 router stopped, under load:', down);
    expect(down.failures).toBe(0);
    expect(down.requests).toBeGreaterThan(100);

    // -D: the daemon keeps no pipe of ours open
    execFileSync('haproxy', ['-D', '-p', pidFile, '-f', cfg], { stdio: 'ignore' });
    await until('h1 router to serve the app again', async () => (await get(`http://${h1.addr}:${h1.httpPort}/web/`)).body === 'v1');
    const before = accessLog().length;
    const back = await underLoad(() =>
      until('h1 to get client requests again', async () => accessLog().slice(before).some((l) => l.worker.includes(h1.addr)), 30),
    );
    console.log('h1 router started again, under load:', back);
    expect(back.failures).toBe(0);
  }, 120_000);

  it('deploy and rollback under a bounded request loop: zero failed requests', async () => {
    const load = await underLoad(async () => {
      expect((await deploy('v2')).code).toBe(0);
      await until('v2 through the balancer', async () => (await get(URL_)).body === 'v2', 10);
      const rb = await cli(['rollback', '--env', 'two', ...fleetArgs()]);
      if (rb.code !== 0) console.log(rb.log);
      expect(rb.code).toBe(0);
      await until('v1 through the balancer', async () => (await get(URL_)).body === 'v1', 10);
    });
    console.log('deploy v2 + rollback, under load:', load);
    expect(load.failures).toBe(0);
    expect(load.statuses).toEqual({ '200': load.requests });
    expect(Object.keys(load.bodies).sort()).toEqual(['v1', 'v2']);
    expect(accessLog().filter((l) => l.status !== '200')).toEqual([]);
  });
});
