/**
 * `delivery deploy|rollback|status|releases` end to end (test world 21): five
 * hosts with real sshd, the real rollout script, HAProxy and the Docker
 * engine. The CLI runs in this process (main()), exactly as `delivery` does.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import type { Logger } from '../../src/core/logger';
import type { FleetReport } from '../../src/fleet/executor';
import { startWorld, type World } from '../world/world';

const ID = 21;
let world: World;
let dir: string;
let env: NodeJS.ProcessEnv;
let proxy: CutProxy;

/** A TCP relay in front of h5's sshd that the test can cut at a chosen moment. */
class CutProxy {
  private server!: net.Server;
  private pairs: [net.Socket, net.Socket][] = [];
  /** When set: forward at most this many more client→server bytes, then cut. */
  cutAfterUpstream: number | null = null;
  constructor(
    readonly listen: { host: string; port: number },
    readonly target: { host: string; port: number },
  ) {}
  start(): Promise<void> {
    this.server = net.createServer((c) => {
      const s = net.connect(this.target);
      this.pairs.push([c, s]);
      c.on('data', (d) => {
        if (this.cutAfterUpstream !== null) {
          if (d.length > this.cutAfterUpstream) {
            s.write(d.subarray(0, this.cutAfterUpstream));
            this.cut();
            return;
          }
          this.cutAfterUpstream -= d.length;
        }
        s.write(d);
      });
      s.on('data', (d) => c.write(d));
      const end = () => {
        c.destroy();
        s.destroy();
      };
      c.on('close', end).on('error', end);
      s.on('close', end).on('error', end);
    });
    return new Promise((r) => this.server.listen(this.listen.port, this.listen.host, r));
  }
  cut() {
    this.cutAfterUpstream = null;
    for (const [c, s] of this.pairs) {
      c.destroy();
      s.destroy();
    }
    this.pairs = [];
  }
  stop(): Promise<void> {
    this.cut();
    return new Promise((r) => this.server.close(() => r()));
  }
}

interface CliRun {
  code: number;
  report: FleetReport;
  lines: string[];
}

/** Runs the CLI in this process; `onLine` sees every progress line as it is logged. */
async function cli(args: string[], onLine?: (line: string) => void, extraEnv: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const lines: string[] = [];
  const push = (l: string) => {
    lines.push(l);
    onLine?.(l);
  };
  const logger: Logger = {
    info: push,
    warn: (m) => push(`warning: ${m}`),
    error: (m) => push(`error: ${m}`),
    debug: () => undefined,
    group: async (t, fn) => {
      push(`==> ${t}`);
      return fn();
    },
    secret: () => undefined,
  };
  let out = '';
  const stdout = new Writable({
    write(chunk, _e, cb) {
      out += chunk.toString();
      cb();
    },
  });
  const code = await main([...args, '--json'], { env: { ...env, ...extraEnv }, logger, stdout });
  let report: FleetReport;
  try {
    report = JSON.parse(out) as FleetReport;
  } catch {
    throw new Error(`no JSON report (exit ${code}):\n${lines.join('\n')}\n${out}`);
  }
  return { code, report, lines };
}

const deployFile = (file = 'Deliveryfile') => ['--file', path.join(dir, file)];
let seq = 0;
const newRelease = () => `t${Date.now().toString(36)}-${++seq}`;

function writeCompose(tag: string, extra = '') {
  // A comment of random text makes the bundle big enough to cut mid-transfer.
  const pad = Array.from({ length: 1300 }, () => `# ${randomBytes(75).toString('base64')}`).join('\n');
  writeFileSync(
    path.join(dir, 'docker-compose.yml'),
    `services:\n  web:\n    image: ${world.testImage}:${tag}\n    init: true\n${extra}${pad}\n`,
  );
}

async function statusOf(file = 'Deliveryfile'): Promise<Record<string, string | null>> {
  const r = await cli(['status', '--env', 'prod', ...deployFile(file)]);
  expect(r.code, r.lines.join('\n')).toBe(0);
  return Object.fromEntries(r.report.hosts.map((h) => [h.host, h.before]));
}

async function served(): Promise<string[]> {
  return Promise.all(
    world.hosts.map(async (h) => {
      const res = await fetch(`http://${h.addr}:${h.httpPort}/app/`);
      return (await res.text()).trim();
    }),
  );
}

beforeAll(async () => {
  world = await startWorld({ id: ID, hosts: 5 });
  dir = path.join(world.dir, 'fleet');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const h5 = world.hosts[4];
  proxy = new CutProxy({ host: `127.${ID}.0.50`, port: h5.sshPort }, { host: h5.addr, port: h5.sshPort });
  await proxy.start();
  const known = readFileSync(world.knownHostsPath, 'utf8');
  const h5Key = known.split('\n').find((l) => l.startsWith(`[${h5.addr}]:`))!.split(' ').slice(1).join(' ');
  writeFileSync(path.join(dir, 'known_hosts'), `${known.trim()}\n[127.${ID}.0.50]:${h5.sshPort} ${h5Key}\n`);
  const hostsYaml = (hs: { name: string; addr: string; port: number }[]) =>
    `hosts:\n${hs.map((h) => `  - { host: ${h.addr}, port: ${h.port}, user: ${world.deployUser}, name: ${h.name} }`).join('\n')}\n`;
  const all = world.hosts.map((h) => ({ name: h.name, addr: h.addr, port: h.sshPort }));
  all[4].addr = `127.${ID}.0.50`; // h5 through the cuttable relay
  writeFileSync(path.join(dir, 'cluster.yml'), hostsYaml(all));
  writeFileSync(path.join(dir, 'cluster-h4.yml'), hostsYaml([all[3]]));
  // Preflight failures: a host nobody answers for, and h2 pinned to a wrong key.
  writeFileSync(
    path.join(dir, 'cluster-bad.yml'),
    hostsYaml(all.filter((h) => h.name !== 'h2')) +
      `  - { host: 127.${ID}.0.99, port: 2222, user: ${world.deployUser}, name: ghost }\n` +
      `  - { host: ${all[1].addr}, port: ${all[1].port}, user: ${world.deployUser}, name: h2, host_keys: ["SHA256:${Buffer.alloc(32, 1).toString('base64').replace(/=+$/, '')}"] }\n`,
  );
  const deliveryfile = (cluster: string) => `version: 1.0
application: fleet/web
deployment: { mode: parallel, concurrency: 5 }
router: haproxy
registry: ${world.registry}
route: { service: web, port: 8080, path: /app/, strip_prefix: true }
health: { timeout: 30, stable: 1 }
environments:
  prod:
    cluster: [./${cluster}]
    files: [docker-compose.yml]
`;
  writeFileSync(path.join(dir, 'Deliveryfile'), deliveryfile('cluster.yml'));
  writeFileSync(path.join(dir, 'Deliveryfile.bad'), deliveryfile('cluster-bad.yml'));
  writeFileSync(path.join(dir, 'Deliveryfile.h4'), deliveryfile('cluster-h4.yml'));
  env = {
    PATH: process.env.PATH,
    HOME: dir,
    DELIVERY_SSH_KEY: readFileSync(world.sshKeyPath, 'utf8'),
    DELIVERY_KNOWN_HOSTS: readFileSync(path.join(dir, 'known_hosts'), 'utf8'),
    DELIVERY_REGISTRY_USERNAME: world.registryUser,
    DELIVERY_REGISTRY_PASSWORD: world.registryPassword,
    DELIVERY_CONNECT_TIMEOUT: '5',
  };
});

afterAll(async () => {
  await proxy?.stop();
  if (process.env.KEEP_WORLD === '1' || !world) return;
  await world.stop();
  // Belt and braces: this file's app containers and networks (project prefix w21hN-).
  const ours = (list: string) => list.split('\n').filter((n) => new RegExp(`^w${ID}h[0-9]+-`).test(n));
  const containers = ours(execFileSync('docker', ['ps', '-a', '--format', '{{.Names}}'], { encoding: 'utf8' }));
  if (containers.length) execFileSync('docker', ['rm', '-f', ...containers], { stdio: 'ignore' });
  const networks = ours(execFileSync('docker', ['network', 'ls', '--format', '{{.Name}}'], { encoding: 'utf8' }));
  if (networks.length) execFileSync('docker', ['network', 'rm', ...networks], { stdio: 'ignore' });
});

let r1: string;
let r2: string;

describe('fleet over real SSH, rollout and Docker', () => {
  it('deploys to all five hosts; status and the routers agree', async () => {
    writeCompose('v1');
    r1 = newRelease();
    const r = await cli(['deploy', '--env', 'prod', ...deployFile(), '--release', r1]);
    expect(r.code, r.lines.join('\n')).toBe(0);
    expect(r.report.hosts.map((h) => [h.host, h.result, h.after])).toEqual(world.hosts.map((h) => [h.name, 'switched', r1]));
    // one connection per host: preflight and deploy share it
    expect(r.lines.filter((l) => l === '[h1] connecting')).toHaveLength(1);
    expect(r.lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\[h3\] uploading \d+ bytes$/),
        expect.stringMatching(/^\[h3\] uploaded \d+ bytes$/),
        expect.stringMatching(/^\[h3\] starting/),
        expect.stringMatching(/^\[h3\] healthy/),
        `[h3] switched to ${r1}`,
      ]),
    );
    expect(await statusOf()).toEqual(Object.fromEntries(world.hosts.map((h) => [h.name, r1])));
    expect(await served()).toEqual(Array(5).fill('v1'));
  });

  it('--dry-run: preflight and rollout deploy --dry-run on every host; nothing switches', async () => {
    writeCompose('v2');
    const r = await cli(['deploy', '--env', 'prod', ...deployFile(), '--release', newRelease(), '--dry-run']);
    expect(r.code, r.lines.join('\n')).toBe(0);
    expect(r.report.dryRun).toBe(true);
    expect(r.report.hosts.map((h) => h.result)).toEqual(Array(5).fill('ok'));
    expect(await statusOf()).toEqual(Object.fromEntries(world.hosts.map((h) => [h.name, r1])));
  });

  it('deploys v2, then rolls back to v1 everywhere; status and releases agree', async () => {
    writeCompose('v2');
    r2 = newRelease();
    const d = await cli(['deploy', '--env', 'prod', ...deployFile(), '--release', r2]);
    expect(d.code, d.lines.join('\n')).toBe(0);
    expect(await served()).toEqual(Array(5).fill('v2'));
    const rb = await cli(['rollback', '--env', 'prod', ...deployFile()]);
    expect(rb.code, rb.lines.join('\n')).toBe(0);
    expect(rb.report.release).toBe(r1);
    expect(rb.report.hosts.map((h) => [h.before, h.after])).toEqual(Array(5).fill([r2, r1]));
    expect(await statusOf()).toEqual(Object.fromEntries(world.hosts.map((h) => [h.name, r1])));
    expect(await served()).toEqual(Array(5).fill('v1'));
    const rel = await cli(['releases', '--env', 'prod', ...deployFile()]);
    expect(rel.code).toBe(0);
    for (const h of world.hosts) expect((rel.report.details?.[h.name]?.releases ?? []).map((x) => x.id)).toEqual(expect.arrayContaining([r1, r2]));
  });

  it('rollback --to a release one host does not keep is refused before any host switches', async () => {
    const r = await cli(['rollback', '--env', 'prod', ...deployFile(), '--to', 'never-deployed']);
    expect(r.code).toBe(2);
    expect(r.report.hosts[0].error).toMatch(/release never-deployed is not kept on this host/);
    expect(await statusOf()).toEqual(Object.fromEntries(world.hosts.map((h) => [h.name, r1])));
  });

  it('preflight: one host unreachable and one with a wrong host key: nothing changes anywhere (exit 2)', async () => {
    writeCompose('v2');
    const r = await cli(['deploy', '--env', 'prod', ...deployFile('Deliveryfile.bad'), '--release', newRelease()]);
    expect(r.code, r.lines.join('\n')).toBe(2);
    const by = Object.fromEntries(r.report.hosts.map((h) => [h.host, h]));
    expect(by.ghost.result).toBe('unreachable');
    expect(by.ghost.error).toMatch(/ECONNREFUSED/);
    expect(by.h2.result).toBe('refused');
    expect(by.h2.error).toMatch(/host key SHA256:\S+ \(ssh-ed25519\) does NOT match/);
    expect(r.report.hosts.filter((h) => h.result === 'not-started')).toHaveLength(4);
    expect(r.lines.some((l) => /\] (uploading|pulling)/.test(l))).toBe(false);
    expect(await statusOf()).toEqual(Object.fromEntries(world.hosts.map((h) => [h.name, r1])));
  });

  it('one host fails its health check mid-run: the switched hosts roll back, every host ends on the old release (exit 5)', async () => {
    // h3 allows 1 s to become healthy; this app needs 3 s.
    const h3 = world.hosts[2];
    const config = readFileSync(h3.rolloutConfig, 'utf8');
    writeFileSync(h3.rolloutConfig, config.replace(/^HEALTH_TIMEOUT=.*$/m, 'HEALTH_TIMEOUT=1'));
    try {
      writeCompose(
        'v2',
        `    command: ["sh", "-c", "sleep 3; touch /tmp/ready; exec httpd -f -p 8080 -h /www"]\n` +
          `    healthcheck: { test: ["CMD-SHELL", "test -f /tmp/ready"], interval: 1s, timeout: 1s, retries: 1 }\n`,
      );
      const r = await cli(['deploy', '--env', 'prod', ...deployFile(), '--release', newRelease()]);
      expect(r.code, r.lines.join('\n')).toBe(5);
      const by = Object.fromEntries(r.report.hosts.map((h) => [h.host, h]));
      expect(by.h3.result).toBe('failed');
      expect(by.h3.error).toMatch(/rollout exit 5/);
      expect(r.lines.some((l) => l.startsWith('[h3] | '))).toBe(true); // rollout's own last words, for the diagnosis
      expect(r.report.hosts.filter((h) => h.result === 'rolled-back').length).toBeGreaterThan(0);
      expect(r.report.hosts.every((h) => h.after === r1)).toBe(true);
    } finally {
      writeFileSync(h3.rolloutConfig, config);
    }
    expect(await statusOf()).toEqual(Object.fromEntries(world.hosts.map((h) => [h.name, r1])));
    expect(await served()).toEqual(Array(5).fill('v1'));
  });

  it('a host that hangs past the per-host timeout: the timeout names itself, the host rolls itself back', async () => {
    writeCompose(
      'v2',
      `    command: ["sh", "-c", "sleep 60; touch /tmp/ready; exec httpd -f -p 8080 -h /www"]\n` +
        `    healthcheck: { test: ["CMD-SHELL", "test -f /tmp/ready"], interval: 1s, timeout: 1s, retries: 1 }\n`,
    );
    const r = await cli(['deploy', '--env', 'prod', ...deployFile('Deliveryfile.h4'), '--release', newRelease(), '--timeout', '6']);
    expect(r.code, r.lines.join('\n')).toBe(5);
    expect(r.report.hosts[0].error).toMatch(/h4: the per-host timeout \(6 s\) passed/);
    expect(r.report.hosts[0].after).toBe(r1);
    expect((await statusOf()).h4).toBe(r1);
  });

  it('the connection to h5 cut mid-transfer: the fleet ends on one version', async () => {
    writeCompose('v2');
    const release = newRelease();
    const r = await cli(['deploy', '--env', 'prod', ...deployFile(), '--release', release], (l) => {
      if (l.startsWith('[h5] uploading')) proxy.cutAfterUpstream = 8 * 1024;
    });
    expect(r.report.hosts.find((h) => h.host === 'h5')!.error).toMatch(/cut/);
    const st = await statusOf();
    expect(new Set(Object.values(st)).size).toBe(1);
    expect(r.code).toBe(st.h1 === release ? 0 : 5);
    expect(st.h1).toBe(r1); // the bundle never arrived whole: h5 did not switch, the others rolled back
  });

  it('the connection to h5 cut mid-switch: h5 finishes on its own, counts as switched, the fleet is on one version', async () => {
    writeCompose('v2');
    const release = newRelease();
    const r = await cli(['deploy', '--env', 'prod', ...deployFile(), '--release', release], (l) => {
      if (l.startsWith('[h5] starting')) proxy.cut();
    });
    const h5 = r.report.hosts.find((h) => h.host === 'h5')!;
    expect(h5.error).toMatch(/cut/);
    expect(r.lines).toContain(`[h5] the host finished the switch to ${release}`);
    expect(r.code, r.lines.join('\n')).toBe(0);
    expect(await statusOf()).toEqual(Object.fromEntries(world.hosts.map((h) => [h.name, release])));
    r2 = release;
  });

  it('SIGTERM mid-run: no new host starts, the running one finishes and goes back; every host on the release before (exit 130)', async () => {
    writeCompose('v2');
    const release = newRelease();
    let sent = false;
    const r = await cli(['deploy', '--env', 'prod', ...deployFile(), '--release', release, '--concurrency', '1'], (l) => {
      if (!sent && l.startsWith('[h1] starting')) {
        sent = true;
        process.emit('SIGTERM', 'SIGTERM');
      }
    });
    expect(r.lines).toContain('warning: interrupted (SIGTERM): no new host starts; the hosts already switching finish, then the switched hosts go back');
    expect(r.report.hosts.map((h) => h.result)).toEqual(['rolled-back', 'not-started', 'not-started', 'not-started', 'not-started']);
    expect(r.code, r.lines.join('\n')).toBe(130);
    expect(r.report.summary).toBe(`cancelled by SIGTERM: 1 switched host(s) went back; every host is on ${r2}`);
    expect(process.listenerCount('SIGTERM')).toBe(0);
    expect(await statusOf()).toEqual(Object.fromEntries(world.hosts.map((h) => [h.name, r2])));
  });

  it('two runs at once: the second reports the lock and its holder', async () => {
    writeCompose('v1');
    const first = newRelease();
    let second: Promise<CliRun> | null = null;
    const a = await cli(['deploy', '--env', 'prod', ...deployFile(), '--release', first], (l) => {
      if (!second && l.startsWith('[h1] starting')) second = cli(['deploy', '--env', 'prod', ...deployFile(), '--release', newRelease()]);
    });
    expect(a.code, a.lines.join('\n')).toBe(0);
    expect(second).not.toBeNull();
    const b = await second!;
    expect(b.code, b.lines.join('\n')).toBe(3);
    expect(b.report.summary).toMatch(new RegExp(`locked by release ${first} \\(pid \\d+\\) since \\S+`));
    expect(await statusOf()).toEqual(Object.fromEntries(world.hosts.map((h) => [h.name, first])));
  });

  it('remove: the app is gone from every host and the routers answer 418', async () => {
    const r = await cli(['remove', '--env', 'prod', ...deployFile()]);
    expect(r.code, r.lines.join('\n')).toBe(0);
    expect(await statusOf()).toEqual(Object.fromEntries(world.hosts.map((h) => [h.name, null])));
    for (const h of world.hosts) expect((await fetch(`http://${h.addr}:${h.httpPort}/app/`)).status).toBe(418);
  });
});
