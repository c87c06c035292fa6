/**
 * Real hosts, set up the way a user sets them up (in `npm test`): three bare
 * Debian hosts, each booting systemd with its own dockerd, sshd and HAProxy
 * (test/hosts/world.ts, world "a", 127.91.0.1-3), and a registry on the
 * world's network. `delivery setup` (the CLI bundle) makes them deploy
 * targets; then the deploy, preview and rollback action bundles, run as the
 * Actions runner runs them, ship to them under keep-alive load. Each host
 * pulls on its own, prunes on its own, and comes back by itself after a
 * reboot.
 */
import { execFile, execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { runAction, type ActionRun } from '../e2e/actions-runner';
import { testBundles } from './harness';
import { startLoad } from './load';
import { REPO, firstOk, get, startHosts, type HostsWorld, type RealHost } from './world';

const run = promisify(execFile);
const DIR = path.join(REPO, '.tmp', 'hosts-a-test');
const SHA = 'b1c2d3e4f5a60718293a4b5c6d7e8f9012345678';
const COMPOSE_PLUGIN = '/usr/libexec/docker/cli-plugins/docker-compose';

let w: HostsWorld;
let bundles: string;
let disposeBundles = () => undefined as void;
const refs: Record<string, string> = {};
let cluster = '';
const releases: Record<string, string> = {};

/** `node <bundles>/cli/index.js …` as a user runs it; never throws. */
async function delivery(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [path.join(bundles, 'cli', 'index.js'), ...args], {
      cwd: REPO,
      env: { PATH: process.env.PATH, HOME: DIR, DELIVERY_HOST_FILES: path.join(REPO, 'src', 'host') },
      timeout: 300_000,
      maxBuffer: 1 << 24,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(err) };
  }
}

const target = (h: RealHost) => `root@${h.addr}:${h.sshPort}`;
const adminArgs = () => ['--ssh-key', w.adminKey, '--known-hosts', w.adminKnownHosts, '--deploy-key', `${w.deployKey}.pub`];
const hostKey = async (h: RealHost) => (await w.exec(h, 'cut -d" " -f1,2 /etc/ssh/ssh_host_ed25519_key.pub')).trim();
const hasUser = async (h: RealHost, u: string) => w.exec(h, `id ${u}`).then(() => true, () => false);

const pushEvent = {
  name: 'push',
  payload: { ref: 'refs/heads/main', after: SHA, repository: { full_name: 'acme/shop', default_branch: 'main' }, head_commit: { id: SHA } },
};

function fleetInputs(): Record<string, string> {
  return {
    environment: 'prod',
    deliveryfile: path.join(DIR, 'Deliveryfile'),
    'ssh-key': readFileSync(w.deployKey, 'utf8'),
    timeout: '180',
  };
}

function deploy(version: string): Promise<ActionRun> {
  return runAction(
    bundles,
    'deploy',
    { ...fleetInputs(), images: refs[version], 'registry-username': w.registryUser, 'registry-password': w.registryPassword },
    pushEvent,
    { GITHUB_SHA: SHA, GITHUB_REF: 'refs/heads/main', HOME: DIR },
  );
}

const served = (p: string) => Promise.all(w.hosts.map((h) => get(`http://${h.addr}:${h.httpPort}${p}`)));

/** The slice of the GitHub REST API the preview action uses (its PR comment), in memory. */
function fakeGitHub(): { server: Server; comments: string[] } {
  const comments: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const send = (status: number, json: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      const url = new URL(req.url ?? '/', 'http://x');
      if (/\/issues\/\d+\/comments$/.test(url.pathname)) {
        if (req.method === 'POST') {
          comments.push(JSON.parse(body).body as string);
          return send(201, { id: comments.length, body: comments.at(-1), html_url: null });
        }
        return send(200, []);
      }
      if (/\/pulls\/\d+$/.test(url.pathname)) return send(200, { state: 'open' });
      send(404, { message: 'not found' });
    });
  });
  return { server, comments };
}

beforeAll(async () => {
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  await run('bash', [path.join(REPO, 'test/world/world.sh'), 'base'], { cwd: REPO, timeout: 300_000 });
  const [world, b] = await Promise.all([startHosts({ name: 'a', slot: 0, hosts: 3 }), testBundles()]);
  [w, bundles, disposeBundles] = [world, b.dir, b.dispose];
  for (const v of ['v1', 'v2', 'v3']) refs[v] = await w.push(`delivery-test/app:${v}`, 'dh-a/app', v);
}, 1_500_000);

afterAll(async () => {
  disposeBundles();
  await w?.stop();
  rmSync(DIR, { recursive: true, force: true });
});

describe('delivery setup on bare hosts', () => {
  it('refuses a host whose key is not known, before logging in (nothing installed)', async () => {
    const empty = path.join(DIR, 'empty_known_hosts');
    writeFileSync(empty, '');
    const r = await delivery(['setup', target(w.hosts[0]), '--ssh-key', w.adminKey, '--known-hosts', empty, '--deploy-key', `${w.deployKey}.pub`]);
    expect(r.code, r.stderr).not.toBe(0);
    expect(r.stderr).toMatch(/not in known-hosts|host key/i);
    expect(await hasUser(w.hosts[0], 'deploy')).toBe(false);
  });

  it('sets up the hosts with Docker and Compose; says exactly what the host without the Compose plugin needs, and installs nothing there', async () => {
    await w.exec(w.hosts[2], `rm ${COMPOSE_PLUGIN}`);
    const r = await delivery(['setup', ...w.hosts.map(target), ...adminArgs()]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toMatch(new RegExp(`${w.hosts[0].addr}:2222\\s+set up`));
    expect(r.stdout).toMatch(new RegExp(`${w.hosts[1].addr}:2222\\s+set up`));
    expect(r.stdout).toMatch(new RegExp(`${w.hosts[2].addr}:2222\\s+missing prerequisites`));
    expect(r.stderr).toContain(`${w.hosts[2].addr}:2222: Docker Compose v2 (the "docker compose" plugin) is missing; install it:`);
    expect(r.stderr).toContain('apt-get install -y docker-compose-plugin');
    expect(r.stderr).toContain(`copy the docker-compose binary of a Compose v2 release to ${COMPOSE_PLUGIN}`);
    expect(await hasUser(w.hosts[2], 'deploy')).toBe(false);
    for (const h of w.hosts.slice(0, 2)) {
      expect(await hasUser(h, 'deploy')).toBe(true);
      const ak = await w.exec(h, 'cat /home/deploy/.ssh/authorized_keys');
      expect(ak.trim()).toBe(`restrict,command="/usr/local/bin/rollout" ${readFileSync(`${w.deployKey}.pub`, 'utf8').trim()}`);
      expect((await w.exec(h, 'systemctl is-active haproxy docker ssh')).split('\n').filter(Boolean)).toEqual(['active', 'active', 'active']);
      expect(await get(`http://${h.addr}:${h.httpPort}/`)).toMatch(/^418 /);
    }
    // No admin credential is left on a host: the installer's folder is gone, no key but the deploy key was added.
    for (const h of w.hosts) expect(await w.exec(h, 'ls /tmp')).not.toMatch(/delivery-setup/);
  });

  it('the plugin brought along as the message says: setup then completes; the deploy key runs rollout only', async () => {
    await run('docker', ['cp', COMPOSE_PLUGIN, `${w.hosts[2].container}:${COMPOSE_PLUGIN}`]);
    const r = await delivery(['setup', target(w.hosts[2]), ...adminArgs()]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/set up/);
    expect(r.stderr).toMatch(/rollout answers as deploy: ==> rollout .*compose 2\./);
    // OpenSSH, as CI would connect: the forced command answers, a shell is refused.
    const known = path.join(DIR, 'known_hosts');
    writeFileSync(known, (await Promise.all(w.hosts.map(async (h) => `[${h.addr}]:2222 ${await hostKey(h)}\n`))).join(''));
    const ssh = (cmd: string) =>
      run('ssh', ['-i', w.deployKey, '-o', `UserKnownHostsFile=${known}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-p', '2222', `deploy@${w.hosts[2].addr}`, cmd]).then(
        (x) => ({ code: 0, out: x.stdout + x.stderr }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
      );
    expect((await ssh('rollout version')).code).toBe(0);
    const shell = await ssh('id');
    expect(shell.code).toBe(2);
    expect(shell.out).toContain('unknown verb: id');
  });

  it('a second run with a changed host config changes only that; --dry-run on set-up hosts prints no change; the printed pins are the host keys', async () => {
    const again = await delivery(['setup', target(w.hosts[0]), ...adminArgs(), '--host-config', 'KEEP_RELEASES=2\nDRAIN_SECONDS=1']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('writing /etc/rollout/config');
    expect(again.stderr).not.toContain('creating user');
    expect(await w.exec(w.hosts[0], 'grep -E "^(KEEP_RELEASES|DRAIN_SECONDS)=" /etc/rollout/config')).toBe('KEEP_RELEASES=2\nDRAIN_SECONDS=1\n');
    const other = await delivery(['setup', ...w.hosts.slice(1).map(target), ...adminArgs(), '--host-config', 'DRAIN_SECONDS=1']);
    expect(other.code, other.stderr).toBe(0);

    const dry1 = await delivery(['setup', target(w.hosts[0]), ...adminArgs(), '--host-config', 'KEEP_RELEASES=2\nDRAIN_SECONDS=1', '--dry-run']);
    const dry = await delivery(['setup', ...w.hosts.slice(1).map(target), ...adminArgs(), '--host-config', 'DRAIN_SECONDS=1', '--dry-run']);
    for (const d of [dry1, dry]) {
      expect(d.code, d.stderr).toBe(0);
      expect(d.stderr).not.toMatch(/would (create|update)|writing/);
      expect(d.stdout).not.toMatch(/would change|set up/);
    }
    expect(dry.stdout.match(/unchanged/g)).toHaveLength(2);
    // A dry run that would change something says what, and changes nothing.
    const change = await delivery(['setup', target(w.hosts[1]), ...adminArgs(), '--host-config', 'DRAIN_SECONDS=3', '--dry-run']);
    expect(change.code, change.stderr).toBe(0);
    expect(change.stdout).toMatch(/would change/);
    expect(change.stderr).toContain('would update /etc/rollout/config');
    expect(await w.exec(w.hosts[1], 'grep ^DRAIN_SECONDS= /etc/rollout/config')).toBe('DRAIN_SECONDS=1\n');

    for (const h of w.hosts) expect([dry1.stdout, dry.stdout].join('\n')).toContain(`[${h.addr}]:2222 ${await hostKey(h)}`);
    // The cluster file, as printed (the hosts' pinned keys, user deploy), plus the router port for lb-config.
    cluster = [dry1.stdout, dry.stdout].map((s) => s.split('hosts:\n')[1]).join('');
    writeFileSync(path.join(DIR, 'cluster.yml'), `http_port: 8080\nhosts:\n${cluster}`);
    const parsed = YAML.parse(readFileSync(path.join(DIR, 'cluster.yml'), 'utf8'));
    expect(parsed.hosts.map((x: { host: string; port: number; user: string }) => `${x.user}@${x.host}:${x.port}`)).toEqual(w.hosts.map((h) => `deploy@${h.addr}:2222`));
  });
});

describe('deploy, preview and rollback on the real hosts (action bundles)', () => {
  beforeAll(() => {
    writeFileSync(
      path.join(DIR, 'Deliveryfile'),
      YAML.stringify({
        version: 1.0,
        application: 'shop/web',
        router: 'haproxy',
        registry: w.registry,
        route: { service: 'web', port: 8080, path: '/app/', strip_prefix: true },
        health: { path: '/health', timeout: 60, stable: 1 },
        images: { web: `${w.registry}/dh-a/app` },
        preview: { route: { path: '/pr-{number}/' }, url: `http://${w.hosts[0].addr}:8080/pr-{number}/` },
        environments: {
          prod: { cluster: ['cluster.yml'], files: ['compose.yml'] },
          qa: { cluster: ['cluster.yml'], files: ['compose.yml'] },
        },
      }),
    );
    // restart: unless-stopped brings the app back when the host reboots.
    writeFileSync(path.join(DIR, 'compose.yml'), `services:\n  web:\n    image: ${w.registry}/dh-a/app:v1\n    init: true\n    restart: unless-stopped\n`);
  });

  it('first deploy: every host pulls the image itself (only the registry had it) and serves it', async () => {
    for (const h of w.hosts) expect((await w.images(h)).filter((i) => i.includes('dh-a/app'))).toEqual([]);
    const r = await deploy('v1');
    expect(r.code, r.log).toBe(0);
    releases.v1 = r.outputs.release;
    expect(await served('/app/')).toEqual(w.hosts.map(() => '200 v1'));
    for (const h of w.hosts) expect(await w.images(h)).toContain(refs.v1);
    expect(r.summary).toContain(releases.v1);
  });

  it('deploy v2, a preview, deploy v3, a rollback: 0 failed requests under keep-alive load; h1 (keep 2) prunes only its own images', async () => {
    const load = startLoad(w.hosts.map((h) => `http://${h.addr}:${h.httpPort}/app/`), { connections: 2, maxSeconds: 600 });
    let result;
    try {
      const d2 = await deploy('v2');
      expect(d2.code, d2.log).toBe(0);
      releases.v2 = d2.outputs.release;
      expect(await served('/app/')).toEqual(w.hosts.map(() => '200 v2'));

      const gh = fakeGitHub();
      await new Promise<void>((r) => gh.server.listen(0, '127.91.0.19', r));
      try {
        const api = `http://127.91.0.19:${(gh.server.address() as AddressInfo).port}/api/v3`;
        const prSha = '7'.repeat(40);
        const p = await runAction(
          bundles,
          'preview',
          {
            deliveryfile: path.join(DIR, 'Deliveryfile'),
            'ssh-key': readFileSync(w.deployKey, 'utf8'),
            token: 'ghs_hostsPreviewToken',
            timeout: '180',
            images: refs.v3,
            'registry-username': w.registryUser,
            'registry-password': w.registryPassword,
          },
          {
            name: 'pull_request',
            payload: {
              action: 'opened',
              number: 7,
              pull_request: { number: 7, state: 'open', head: { sha: prSha, ref: 'feature-7' }, base: { ref: 'main' } },
              repository: { full_name: 'acme/shop', default_branch: 'main' },
            },
          },
          { GITHUB_API_URL: api, GITHUB_SHA: prSha, GITHUB_REF: 'refs/pull/7/merge', GITHUB_HEAD_REF: 'feature-7', HOME: DIR },
        );
        expect(p.code, p.log).toBe(0);
        expect(p.outputs.url).toBe(`http://${w.hosts[0].addr}:8080/pr-7/`);
        expect(await served('/pr-7/')).toEqual(w.hosts.map(() => '200 v3'));
        expect(await served('/app/')).toEqual(w.hosts.map(() => '200 v2'));
        expect(gh.comments.join('\n')).toContain(p.outputs.url);
      } finally {
        await new Promise<void>((r) => gh.server.close(() => r()));
      }

      const d3 = await deploy('v3');
      expect(d3.code, d3.log).toBe(0);
      releases.v3 = d3.outputs.release;
      expect(await served('/app/')).toEqual(w.hosts.map(() => '200 v3'));

      // h1 keeps 2 releases (v2, v3): the v1 image is gone there, and only there.
      // rollout prunes after it reported the switch (the old color drains first): wait for it, bounded.
      let h1Images = await w.images(w.hosts[0]);
      for (let i = 0; i < 60 && h1Images.includes(refs.v1); i++) {
        await new Promise((r) => setTimeout(r, 500));
        h1Images = await w.images(w.hosts[0]);
      }
      expect(h1Images, await w.exec(w.hosts[0], 'tail -5 /var/lib/rollout/shop/web/history.log; ls /var/lib/rollout/shop/web/releases')).not.toContain(refs.v1);
      for (const h of w.hosts.slice(1)) expect(await w.images(h)).toContain(refs.v1);

      const back = await runAction(bundles, 'rollback', fleetInputs(), {
        name: 'workflow_dispatch',
        payload: { ref: 'refs/heads/main', inputs: { environment: 'prod', release: '' }, repository: { full_name: 'acme/shop', default_branch: 'main' } },
      }, { HOME: DIR });
      expect(back.code, back.log).toBe(0);
      expect(back.outputs.release).toBe(releases.v2);
      expect(await served('/app/')).toEqual(w.hosts.map(() => '200 v2'));
      expect(await w.images(w.hosts[0])).toContain(refs.v2);
    } finally {
      result = await load.stop();
    }
    console.log(`load on 3 real hosts: ${result.requests} requests, ${result.failures} failed`, result.bodies);
    expect(result.failed).toEqual({});
    expect(result.failures).toBe(0);
    expect(result.requests).toBeGreaterThan(100);
    expect(Object.keys(result.bodies).sort()).toEqual(['v1', 'v2', 'v3']);
  });

  it('a rebooted host: systemd brings dockerd, HAProxy and the app back; the current release serves without a deploy', async () => {
    const h = w.hosts[1];
    const t0 = Date.now();
    await w.reboot(h);
    const ok = await firstOk(`http://${h.addr}:${h.httpPort}/app/`, 120);
    const total = (Date.now() - t0) / 1000;
    expect(ok, 'the app did not answer 200 within 120 s of the boot').not.toBeNull();
    console.log(`reboot of ${h.name}: first 200 ${ok!.seconds.toFixed(1)} s after systemd was up, ${total.toFixed(1)} s after the restart began`);
    expect(ok!.body).toBe('v2');
    expect((await w.exec(h, 'systemctl is-active docker haproxy ssh')).split('\n').filter(Boolean)).toEqual(['active', 'active', 'active']);
    // rollout agrees: the current release is the one that was current before the reboot.
    const st = execFileSync('ssh', ['-i', w.deployKey, '-o', `UserKnownHostsFile=${path.join(DIR, 'known_hosts')}`, '-o', 'BatchMode=yes', '-p', '2222', `deploy@${h.addr}`, 'rollout status shop/web'], { encoding: 'utf8' });
    expect(st).toContain(releases.v2);
    expect(await served('/app/')).toEqual(w.hosts.map(() => '200 v2'));
  });
});
