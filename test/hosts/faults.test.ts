/**
 * Real hosts when things go wrong (`npm run test:hosts`): world "b" (two
 * hosts, 127.91.0.21-22) set up by `delivery setup`: dockerd restarted on a
 * host in the middle of a deploy, and a host powered off (container killed)
 * in the middle of one. The fleet ends on one release or the deploy says
 * exactly which host lags, and the next deploy brings every host back.
 * World "c" (one host, 127.91.0.41) is set up by hand with the README's
 * ssh one-liner, twice: the second run changes nothing, nor does --dry-run.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionRun } from '../e2e/actions-runner';
import { adminArgs, clusterFromSetup, delivery, deployAction, servedBy, target, testBundles, writeApp } from './harness';
import { REPO, firstOk, startHosts, type HostsWorld, type RealHost } from './world';

const run = promisify(execFile);
let bundles: string;
let disposeBundles = () => undefined as void;

beforeAll(async () => {
  await run('bash', [path.join(REPO, 'test/world/world.sh'), 'base'], { cwd: REPO, timeout: 300_000 });
  ({ dir: bundles, dispose: disposeBundles } = await testBundles());
}, 600_000);
afterAll(() => disposeBundles());

/** The per-host results of a deploy (its `result` output). */
function hostResults(r: ActionRun): { host: string; ok: boolean; result: string; release: string | null }[] {
  try {
    return JSON.parse(r.outputs.result ?? '[]');
  } catch {
    return [];
  }
}

/**
 * Waits until a deploy is under way on the host: a release folder appeared
 * that was not there before (rollout received and unpacked the bundle and
 * now pulls, starts and health-checks the new color before it switches).
 */
async function midDeploy(w: HostsWorld, h: RealHost, before: string[], limitSeconds = 120): Promise<boolean> {
  const t0 = Date.now();
  while (Date.now() - t0 < limitSeconds * 1000) {
    const now = await releasesOn(w, h);
    if (now.some((r) => !before.includes(r))) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
const releasesOn = (w: HostsWorld, h: RealHost) =>
  w.exec(h, 'ls /var/lib/rollout/shop/web/releases 2>/dev/null || true').then((o) => o.split('\n').filter(Boolean), () => [] as string[]);

describe('faults mid-deploy (world b, set up by delivery setup)', () => {
  const DIR = path.join(REPO, '.tmp', 'hosts-b-test');
  let w: HostsWorld;
  const refs: Record<string, string> = {};

  beforeAll(async () => {
    rmSync(DIR, { recursive: true, force: true });
    mkdirSync(DIR, { recursive: true });
    w = await startHosts({ name: 'b', slot: 1, hosts: 2 });
    for (const v of ['v1', 'v2', 'v3']) refs[v] = await w.push(`delivery-test/app:${v}`, 'dh-b/app', v);
    // These hosts are set up by a sudo user, as on cloud images (debian@, ubuntu@), not root.
    for (const h of w.hosts) {
      await w.exec(h, 'useradd -m -s /bin/bash ops && usermod -p "*" ops && echo "ops ALL=(ALL) NOPASSWD:ALL" >/etc/sudoers.d/ops && install -d -o ops -m 700 /home/ops/.ssh && install -o ops -m 600 /root/.ssh/authorized_keys /home/ops/.ssh/authorized_keys');
    }
    const s = await delivery(bundles, DIR, ['setup', ...w.hosts.map((h) => `ops@${h.addr}:${h.sshPort}`), ...adminArgs(w), '--host-config', 'DRAIN_SECONDS=1']);
    expect(s.code, s.stderr).toBe(0);
    expect(s.stderr).toContain('as ops (sudo)');
    writeFileSync(path.join(DIR, 'cluster.yml'), clusterFromSetup(s.stdout));
    // stable 3: a deploy waits 3 s on a healthy new color, a window to break things in.
    writeApp(DIR, w, { stable: 3 });
    const d = await deployAction(bundles, DIR, w, refs.v1);
    expect(d.code, d.log).toBe(0);
    expect(await servedBy(w, '/app/')).toEqual(['200 v1', '200 v1']);
  }, 1_500_000);
  afterAll(async () => {
    await w?.stop();
    rmSync(DIR, { recursive: true, force: true });
  });

  it('dockerd restarted on h1 mid-deploy: one release on the fleet, or the lagging host named; the next deploy brings it back', async () => {
    const h1 = w.hosts[0];
    const before = await releasesOn(w, h1);
    const deploying = deployAction(bundles, DIR, w, refs.v2);
    expect(await midDeploy(w, h1, before), 'no deploy began on h1').toBe(true);
    await run('docker', ['exec', h1.container, 'systemctl', 'restart', 'docker']);
    const r = await deploying;
    const results = hostResults(r);
    const bodies = await servedBy(w, '/app/');
    console.log(`dockerd restart mid-deploy: exit ${r.code}; hosts ${JSON.stringify(results.map((x) => [x.host, x.result]))}; serving ${JSON.stringify(bodies)}`);
    if (r.code === 0) {
      expect(bodies).toEqual(['200 v2', '200 v2']);
    } else {
      // The failure names h1 (and only h1), and either the fleet is on one release or the log names h1 as the host that lags.
      expect(results.filter((x) => !x.ok).map((x) => x.host)).toEqual([expect.stringContaining(h1.addr)]);
      expect(r.log).toContain(h1.addr);
      if (new Set(bodies).size !== 1) expect(r.code).toBe(7);
    }
    const again = await deployAction(bundles, DIR, w, refs.v2);
    expect(again.code, again.log).toBe(0);
    expect(await servedBy(w, '/app/')).toEqual(['200 v2', '200 v2']);
  });

  it('h2 powered off mid-deploy: the deploy names h2; powered on, it serves its current release; the next deploy brings it back', async () => {
    const h2 = w.hosts[1];
    const before = await releasesOn(w, h2);
    const deploying = deployAction(bundles, DIR, w, refs.v3);
    expect(await midDeploy(w, h2, before), 'no deploy began on h2').toBe(true);
    await w.powerOff(h2);
    const r = await deploying;
    const results = hostResults(r);
    const h1Body = (await servedBy(w, '/app/'))[0];
    console.log(`power off mid-deploy: exit ${r.code}; hosts ${JSON.stringify(results.map((x) => [x.host, x.result]))}; h1 serves ${h1Body}`);
    expect(r.code, r.log).not.toBe(0);
    expect(r.log).toContain(h2.addr);
    // The default policy rolls the switched hosts back: h1 stays on (or returns to) v2.
    expect(h1Body).toBe('200 v2');
    expect(r.summary).toContain(h2.addr);

    const t0 = Date.now();
    await w.powerOn(h2);
    const ok = await firstOk(`http://${h2.addr}:${h2.httpPort}/app/`, 120);
    expect(ok, 'h2 did not serve after power on').not.toBeNull();
    console.log(`h2 powered on: first 200 (${ok!.body}) ${((Date.now() - t0) / 1000).toFixed(1)} s after docker start`);
    expect(ok!.body).toBe('v2');

    const again = await deployAction(bundles, DIR, w, refs.v3);
    expect(again.code, again.log).toBe(0);
    expect(await servedBy(w, '/app/')).toEqual(['200 v3', '200 v3']);
  });
});

describe('a host set up by hand with the README one-liner (world c)', () => {
  const DIR = path.join(REPO, '.tmp', 'hosts-c-test');
  let w: HostsWorld;

  beforeAll(async () => {
    rmSync(DIR, { recursive: true, force: true });
    mkdirSync(DIR, { recursive: true });
    w = await startHosts({ name: 'c', slot: 2, hosts: 1 });
  }, 1_500_000);
  afterAll(async () => {
    await w?.stop();
    rmSync(DIR, { recursive: true, force: true });
  });

  /** The README's line, with this world's host, key and known_hosts in the ssh call. */
  function readmeOneLiner(extra = ''): string {
    const readme = readFileSync(path.join(REPO, 'README.md'), 'utf8');
    const line = readme.split('\n').find((l) => l.startsWith('tar -C src/host -cz . | ssh root@203.0.113.10 '));
    if (!line) throw new Error('README: the install.sh one-liner is gone');
    const h = w.hosts[0];
    const ssh = `ssh -i ${w.adminKey} -o UserKnownHostsFile=${w.adminKnownHosts} -o StrictHostKeyChecking=yes -o BatchMode=yes -p ${h.sshPort} root@${h.addr}`;
    return line.replace('ssh root@203.0.113.10', ssh).replace('deploy_key.pub', `${w.deployKey}.pub`).replace(`--key '`, `${extra}--key '`);
  }
  const sh = (cmd: string) =>
    run('bash', ['-c', cmd], { cwd: REPO }).then(
      (r) => ({ code: 0, out: r.stdout + r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
    );

  it('install.sh over ssh sets the host up; run twice it changes nothing; --dry-run prints no change; rollout answers the deploy key', async () => {
    const first = await sh(readmeOneLiner());
    expect(first.code, first.out).toBe(0);
    expect(first.out).toContain('creating user deploy');
    const h = w.hosts[0];
    const snapshot = () =>
      w.exec(h, 'find /etc/rollout /etc/haproxy /etc/docker /usr/local/bin/rollout /home/deploy/.ssh /var/lib/rollout -xdev -printf "%p %m %u %s %T@\\n" | sort; sha256sum /etc/haproxy/haproxy.cfg /etc/rollout/config /etc/docker/daemon.json /home/deploy/.ssh/authorized_keys');
    const before = await snapshot();
    const second = await sh(readmeOneLiner());
    expect(second.code, second.out).toBe(0);
    expect(second.out.trim().split('\n').filter((l) => l.startsWith('==> '))).toEqual(['==> nothing to change']);
    const dry = await sh(readmeOneLiner('--dry-run '));
    expect(dry.code, dry.out).toBe(0);
    expect(dry.out.trim().split('\n').filter((l) => l.startsWith('==> '))).toEqual(['==> dry run: nothing is changed', '==> nothing to change']);
    // the installer's temporary folder is gone (systemd's private folders are not ours)
    expect((await w.exec(h, 'ls /tmp')).split('\n').filter((f) => f && !f.startsWith('systemd-private-'))).toEqual([]);
    expect(await snapshot()).toBe(before);
    // And setup agrees: nothing to change on the hand-made host.
    const check = await delivery(bundles, DIR, ['setup', target(h), ...adminArgs(w), '--dry-run']);
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toMatch(/unchanged/);
    const known = path.join(DIR, 'known_hosts');
    writeFileSync(known, check.stdout.split('\n').filter((l) => l.startsWith(`[${h.addr}]:2222 `)).join('\n') + '\n');
    const v = await sh(`ssh -i ${w.deployKey} -o UserKnownHostsFile=${known} -o StrictHostKeyChecking=yes -o BatchMode=yes -p 2222 deploy@${h.addr} version`);
    expect(v.code, v.out).toBe(0);
    expect(v.out).toMatch(/"verb":"version","ok":true/);
  });
});
