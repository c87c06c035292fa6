/**
 * A cancelled run never splits the fleet (issue 10, "A cancelled run"),
 * end to end on test world 71: three hosts with real sshd, the real rollout
 * script, HAProxy and the Docker engine, and the real CLI bundle
 * (`node dist/cli/index.js`, run as `delivery` runs) signalled the way the
 * GitHub runner cancels a job: SIGINT, SIGTERM 7.5 s later, SIGKILL 2.5 s
 * after that (each only while the process still runs).
 *
 * A rolling deploy (one host a batch) is signalled before the upload,
 * mid-switch on host 1, and between batches; every host ends on one
 * release each time. Ctrl-C twice stops the waiting: the report names
 * what was done and the command that finishes the job, which then reunites
 * the fleet.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorld, type World } from '../world/world';

const ID = 71;
const ROOT = path.join(__dirname, '../..');
const CLI = process.env.DELIVERY_TEST_CLI ?? path.join(ROOT, 'dist/cli/index.js');
let world: World;
let dir: string;
let env: NodeJS.ProcessEnv;

interface HostLine {
  host: string;
  result: string;
  before: string | null;
  after: string | null;
  error: string | null;
}
interface Report {
  code: number;
  summary: string;
  hosts: HostLine[];
  reunite?: { release: string; command: string } | null;
  details?: Record<string, { lock?: unknown } | null>;
}
interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  report: Report | null;
  lines: string[];
  /** The signals sent, in order. */
  sent: string[];
}

/**
 * Runs the CLI bundle; when a stderr line matches `at`, cancels it like the
 * runner does (or, with `twice`, like a person pressing Ctrl-C twice).
 */
function cli(args: string[], cancel?: { at: RegExp; twice?: boolean }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args, '--json'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    const sent: string[] = [];
    const timers: NodeJS.Timeout[] = [];
    let out = '';
    let rest = '';
    let cancelled = false;
    const send = (sig: NodeJS.Signals) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      sent.push(sig);
      child.kill(sig);
    };
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => {
      rest += d;
      let i: number;
      while ((i = rest.indexOf('\n')) >= 0) {
        const line = rest.slice(0, i);
        rest = rest.slice(i + 1);
        lines.push(line);
        if (cancel && !cancelled && cancel.at.test(line)) {
          cancelled = true;
          send('SIGINT');
          if (!cancel.twice) timers.push(setTimeout(() => send('SIGTERM'), 7500), setTimeout(() => send('SIGKILL'), 10_000));
        } else if (cancel?.twice && sent.length === 1 && line.startsWith('warning: interrupted (SIGINT)')) {
          send('SIGINT'); // the second Ctrl-C, once the first has been heard
        }
      }
    });
    // Bounded: nothing here takes more than a few minutes.
    const guard = setTimeout(() => send('SIGKILL'), 240_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      for (const t of [...timers, guard]) clearTimeout(t);
      let report: Report | null = null;
      try {
        report = JSON.parse(out) as Report;
      } catch {
        /* no report: the assertions below say so with the log */
      }
      resolve({ code, signal, report, lines, sent });
    });
  });
}

const file = ['--env', 'prod', '--file', 'Deliveryfile'];
let seq = 0;
const newRelease = () => `c${Date.now().toString(36)}-${++seq}`;

function writeCompose(tag: string, extra = '') {
  writeFileSync(path.join(dir, 'docker-compose.yml'), `services:\n  web:\n    image: ${world.testImage}:${tag}\n    init: true\n${extra}`);
}

/** An app that needs about 5 s to become healthy: longer than the short look after a second signal. */
const SLOW_START =
  `    command: ["sh", "-c", "sleep 5; touch /tmp/ready; exec httpd -f -p 8080 -h /www"]\n` +
  `    healthcheck: { test: ["CMD-SHELL", "test -f /tmp/ready"], interval: 1s, timeout: 1s, retries: 1 }\n`;

/**
 * What every host runs once it is done, asked with `delivery status` through
 * the same bundle: a host still finishing a switch or a rollback it runs on
 * its own (it holds the app's lock) is asked again, a bounded number of times.
 */
async function currents(): Promise<Record<string, string | null>> {
  for (let i = 0; ; i++) {
    const r = await cli(['status', ...file]);
    expect(r.code, r.lines.join('\n')).toBe(0);
    const busy = Object.values(r.report!.details ?? {}).some((d) => d?.lock && !/finishing/.test(JSON.stringify(d.lock)));
    if (!busy || i >= 60) return Object.fromEntries(r.report!.hosts.map((h) => [h.host, h.before]));
    await new Promise((res) => setTimeout(res, 1000));
  }
}

const everyHostOn = (release: string) => Object.fromEntries(world.hosts.map((h) => [h.name, release]));
const log = (r: Run) => `signals: ${r.sent.join(' ') || 'none'}; exit ${r.code ?? r.signal}\n${r.lines.join('\n')}`;

beforeAll(async () => {
  const build = spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`${CLI} does not run (npm run build first): ${build.stderr}`);
  world = await startWorld({ id: ID, hosts: 3 });
  dir = path.join(world.dir, 'cancel');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, 'cluster.yml'),
    `hosts:\n${world.hosts.map((h) => `  - { host: ${h.addr}, port: ${h.sshPort}, user: ${world.deployUser}, name: ${h.name} }`).join('\n')}\n`,
  );
  writeFileSync(
    path.join(dir, 'Deliveryfile'),
    `version: 1.0
application: cancel/web
deployment: { mode: rolling, batch: 1 }
router: haproxy
registry: ${world.registry}
route: { service: web, port: 8080, path: /app/, strip_prefix: true }
health: { timeout: 30, stable: 1 }
environments:
  prod:
    cluster: [./cluster.yml]
    files: [docker-compose.yml]
`,
  );
  env = {
    PATH: process.env.PATH,
    HOME: dir,
    DELIVERY_SSH_KEY: readFileSync(world.sshKeyPath, 'utf8'),
    DELIVERY_KNOWN_HOSTS: readFileSync(world.knownHostsPath, 'utf8'),
    DELIVERY_REGISTRY_USERNAME: world.registryUser,
    DELIVERY_REGISTRY_PASSWORD: world.registryPassword,
    DELIVERY_CONNECT_TIMEOUT: '5',
  };
});

afterAll(async () => {
  if (process.env.KEEP_WORLD === '1' || !world) return;
  await world.stop();
  const ours = (list: string) => list.split('\n').filter((n) => new RegExp(`^w${ID}h[0-9]+-`).test(n));
  const containers = ours(execFileSync('docker', ['ps', '-a', '--format', '{{.Names}}'], { encoding: 'utf8' }));
  if (containers.length) execFileSync('docker', ['rm', '-f', ...containers], { stdio: 'ignore' });
  const networks = ours(execFileSync('docker', ['network', 'ls', '--format', '{{.Name}}'], { encoding: 'utf8' }));
  if (networks.length) execFileSync('docker', ['network', 'rm', ...networks], { stdio: 'ignore' });
});

let r1: string;

describe('a cancelled rolling deploy over real SSH, rollout and Docker (dist/cli/index.js)', () => {
  it('deploys r1 to the three hosts first', async () => {
    writeCompose('v1');
    r1 = newRelease();
    const r = await cli(['deploy', ...file, '--release', r1]);
    expect(r.code, log(r)).toBe(0);
    expect(await currents()).toEqual(everyHostOn(r1));
  });

  it.each<[string, RegExp, string[]]>([
    ['before the upload (during preflight)', /^\[h1\] connecting$/, ['not-started', 'not-started', 'not-started']],
    ['mid-switch on host 1', /^\[h1\] starting/, ['rolled-back', 'not-started', 'not-started']],
    ['between batches (host 1 has just switched)', /^\[h1\] switched to /, ['rolled-back', '*', 'not-started']],
  ])('cancelled %s: every host ends on the release before (exit 130)', async (_when, at, results) => {
    writeCompose('v2');
    const r = await cli(['deploy', ...file, '--release', newRelease()], { at });
    expect(r.sent[0], log(r)).toBe('SIGINT');
    // It ends by itself with its report, never by the runner's SIGKILL (on a slow machine the SIGTERM may come first:
    // then a host whose rollback has begun is left to finish it on its own, and says so).
    expect(r.code, log(r)).toBe(130);
    expect(r.report!.summary).toMatch(new RegExp(`^cancelled by SIGINT: .*every host is on ${r1}( or on its way back)?$`));
    const back = (h: HostLine) => (h.result === 'going-back' ? 'rolled-back' : h.result);
    // Host 2 may have been started in the instant before the signal arrived: it is stopped before its switch begins (or, had it begun, finishes and goes back).
    r.report!.hosts.forEach((h, i) => (results[i] === '*' ? expect(['rolled-back', 'not-started']).toContain(back(h)) : expect(back(h)).toBe(results[i])));
    expect(r.report!.hosts.map((h) => h.after)).toEqual([r1, r1, r1]);
    expect(await currents()).toEqual(everyHostOn(r1));
  });

  it('Ctrl-C twice mid-switch: no more waiting; the report says what was done and the command that reunites the fleet does', async () => {
    writeCompose('v2', SLOW_START);
    const release = newRelease();
    const r = await cli(['deploy', ...file, '--release', release], { at: /^\[h1\] starting/, twice: true });
    expect(r.lines, log(r)).toContain('warning: second interrupt: no more waiting for hosts still switching (they finish on their own); the switched hosts go back now');
    const rep = r.report!;
    expect(rep.hosts.slice(1).map((h) => h.result), log(r)).toEqual(['not-started', 'not-started']);
    expect(r.code, log(r)).toBe(7);
    expect(rep.hosts[0].result).toBe('unknown');
    expect(rep.hosts[0].error).toMatch(new RegExp(`still switching to ${release} and finishes on its own`));
    expect(rep.reunite).toEqual({ release: r1, command: `delivery rollback --env prod --to ${r1}` });
    expect(rep.summary).toContain(`to put every host on ${r1}: delivery rollback --env prod --to ${r1}`);
    // The user runs the printed command; while h1 still switches it is refused as locked (exit 3, nothing changed), so they run it again.
    const words = rep.reunite!.command.split(' ').slice(1);
    let back: Run | null = null;
    for (let i = 0; i < 30; i++) {
      back = await cli([...words, '--file', 'Deliveryfile']);
      if (back.code !== 3) break;
      await new Promise((res) => setTimeout(res, 500));
    }
    expect(back!.code, log(back!)).toBe(0);
    expect(await currents()).toEqual(everyHostOn(r1));
  });

  it('when the hosts disagree, status says so in one line with the command that reunites them', async () => {
    // A run killed with SIGKILL between batches leaves h1 ahead (nothing can bring it back).
    writeCompose('v2');
    const release = newRelease();
    const killed = await new Promise<Run>((resolve) => {
      const child = spawn(process.execPath, [CLI, 'deploy', ...file, '--release', release], { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
      const lines: string[] = [];
      child.stderr.on('data', (d: Buffer) => {
        for (const l of d.toString().split('\n')) {
          lines.push(l);
          if (/^\[h1\] switched to /.test(l)) child.kill('SIGKILL');
        }
      });
      child.on('close', (code, signal) => resolve({ code, signal, report: null, lines, sent: ['SIGKILL'] }));
    });
    expect(killed.signal, log(killed)).toBe('SIGKILL');
    const st = await cli(['status', ...file]);
    expect(st.code, log(st)).toBe(0);
    const cmd = `delivery rollback --env prod --to ${r1}`;
    expect(st.report!.summary).toBe(`the hosts run different releases (${release} on h1; ${r1} on h2, h3); to put every host on ${r1}: ${cmd}`);
    // A plain rollback is refused, and names the same command.
    const plain = await cli(['rollback', ...file]);
    expect(plain.code, log(plain)).toBe(2);
    expect(plain.report!.summary).toContain(`to put every host on ${r1}: ${cmd}`);
    const back = await cli(['rollback', ...file, '--to', r1]);
    expect(back.code, log(back)).toBe(0);
    expect(await currents()).toEqual(everyHostOn(r1));
  });
});
