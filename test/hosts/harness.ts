/**
 * What the real-host test files share: the CLI bundle run as a user runs it,
 * the deploy action run as the runner runs it, and a Deliveryfile for a
 * world's hosts.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import YAML from 'yaml';
import { buildBundles, cleanup, runAction, type ActionRun } from '../e2e/actions-runner';
import { REPO, get, type HostsWorld, type RealHost } from './world';

const run = promisify(execFile);
export const SHA = 'b1c2d3e4f5a60718293a4b5c6d7e8f9012345678';
export const COMPOSE_PLUGIN = '/usr/libexec/docker/cli-plugins/docker-compose';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `node <bundles>/cli/index.js …`; never throws. HOME is the test's folder (no ~/.ssh of this machine). */
export async function delivery(bundles: string, home: string, args: string[]): Promise<CliRun> {
  try {
    const { stdout, stderr } = await run(process.execPath, [path.join(bundles, 'cli', 'index.js'), ...args], {
      cwd: REPO,
      env: { PATH: process.env.PATH, HOME: home, DELIVERY_HOST_FILES: path.join(REPO, 'src', 'host') },
      timeout: 300_000,
      maxBuffer: 1 << 24,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(err) };
  }
}

export const target = (h: RealHost) => `root@${h.addr}:${h.sshPort}`;
export const adminArgs = (w: HostsWorld) => ['--ssh-key', w.adminKey, '--known-hosts', w.adminKnownHosts, '--deploy-key', `${w.deployKey}.pub`];

/** The `hosts:` list setup printed, as a cluster file. */
export function clusterFromSetup(stdout: string): string {
  const list = stdout.split('\nhosts:\n')[1];
  if (!list) throw new Error(`setup printed no hosts list:\n${stdout}`);
  return `http_port: 8080\nhosts:\n${list}`;
}

/** A Deliveryfile for app shop/web on the world's hosts (cluster.yml beside it), routed at /app/. */
export function writeApp(dir: string, w: HostsWorld, o: { stable?: number } = {}): void {
  writeFileSync(
    path.join(dir, 'Deliveryfile'),
    YAML.stringify({
      version: 1.0,
      application: 'shop/web',
      router: 'haproxy',
      registry: w.registry,
      route: { service: 'web', port: 8080, path: '/app/', strip_prefix: true },
      health: { path: '/health', timeout: 60, stable: o.stable ?? 1 },
      images: { web: `${w.registry}/dh-${w.name}/app` },
      preview: { route: { path: '/pr-{number}/' }, url: `http://${w.hosts[0].addr}:8080/pr-{number}/` },
      environments: {
        prod: { cluster: ['cluster.yml'], files: ['compose.yml'] },
        qa: { cluster: ['cluster.yml'], files: ['compose.yml'] },
      },
    }),
  );
  // restart: unless-stopped brings the app back when the host reboots.
  writeFileSync(path.join(dir, 'compose.yml'), `services:\n  web:\n    image: ${w.registry}/dh-${w.name}/app:v1\n    init: true\n    restart: unless-stopped\n`);
}

export function fleetInputs(dir: string, w: HostsWorld): Record<string, string> {
  return { environment: 'prod', deliveryfile: path.join(dir, 'Deliveryfile'), 'ssh-key': readFileSync(w.deployKey, 'utf8'), timeout: '180' };
}

export const pushEvent = {
  name: 'push',
  payload: { ref: 'refs/heads/main', after: SHA, repository: { full_name: 'acme/shop', default_branch: 'main' }, head_commit: { id: SHA } },
};

/** The deploy action bundle, as the runner runs it, shipping `ref` (repo@sha256:…). */
export function deployAction(bundles: string, dir: string, w: HostsWorld, ref: string): Promise<ActionRun> {
  return runAction(
    bundles,
    'deploy',
    { ...fleetInputs(dir, w), images: ref, 'registry-username': w.registryUser, 'registry-password': w.registryPassword },
    pushEvent,
    { GITHUB_SHA: SHA, GITHUB_REF: 'refs/heads/main', HOME: dir },
  );
}

/** What each host serves at path, "STATUS BODY". */
export const servedBy = (w: HostsWorld, p: string) => Promise.all(w.hosts.map((h) => get(`http://${h.addr}:${h.httpPort}${p}`)));

/**
 * The bundles under test: built from the current sources into a temporary
 * folder (as the e2e tests do), or, when DELIVERY_TEST_BUNDLES names a folder
 * made by `node scripts/build.mjs --out DIR`, that one (not removed after).
 */
export async function testBundles(): Promise<{ dir: string; dispose(): void }> {
  const given = process.env.DELIVERY_TEST_BUNDLES;
  if (given) return { dir: given, dispose: () => undefined };
  const dir = await buildBundles();
  return { dir, dispose: () => cleanup(dir) };
}
