/**
 * The test world for vitest: a registry with a password, the busybox base
 * image, test app images, and N hosts (sshd with a forced `rollout` key, a
 * rollout config and state folder, an HAProxy router), all on 127.ID.0.0/24.
 * Wraps test/world/world.sh; see test/world/README.md.
 *
 *   const world = await startWorld({ id: 12, hosts: 2 });
 *   afterAll(() => world.stop());
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const REPO = path.resolve(__dirname, '..', '..');
const WORLD_SH = path.join(REPO, 'test', 'world', 'world.sh');

export interface WorldHost {
  /** h1, h2, … (also the `name` in the cluster file) */
  name: string;
  /** 127.ID.0.(10+i): sshd, HAProxy and the app ports listen here */
  addr: string;
  sshPort: number;
  /** the host's router (HAProxy) port on addr */
  httpPort: number;
  /** this host's rollout config (KEY=VALUE), what sshd passes as ROLLOUT_CONFIG */
  rolloutConfig: string;
  /** ROLLOUT_ROOT of this host (releases, history, locks) */
  stateDir: string;
  /** HAProxy admin socket (runtime API) */
  haproxySocket: string;
  /** the folder install.sh --root installed this host into */
  root: string;
}

export interface World {
  id: number;
  /** .tmp/world-ID */
  dir: string;
  router: 'haproxy' | 'traefik';
  /** host:port of the registry, e.g. 127.12.0.1:5000 */
  registry: string;
  registryUser: string;
  registryPassword: string;
  /** DOCKER_CONFIG folder logged in to the registry (for pushing from tests) */
  registryDockerConfig: string;
  /** repository of the test app in the registry; tags v1, v2, v3, broken */
  testImage: string;
  /** private key (no passphrase) authorized on every host with the forced command */
  sshKeyPath: string;
  knownHostsPath: string;
  /** cluster.yml listing every host with port, user, name, http_port and host_keys */
  clusterFile: string;
  deployUser: string;
  hosts: WorldHost[];
  /** compose project prefix rollout uses on that host, e.g. `w12h1-` */
  projectPrefix(host: WorldHost | string): string;
  /** stop and remove everything of this world (containers, images, processes, files) */
  stop(): Promise<void>;
}

export interface WorldOptions {
  /** 1..254; the world lives on 127.ID.0.0/24. Use a distinct id per test file. */
  id: number;
  hosts: number;
  router?: 'haproxy' | 'traefik';
}

/** Parse world.env (KEY=VALUE, values optionally in double quotes). */
export function parseWorldEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    let v = m[2];
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    env[m[1]] = v;
  }
  return env;
}

/** Bring a world up (idempotent: reuses what is already running) and describe it. */
export async function startWorld(opts: WorldOptions): Promise<World> {
  const args = ['up', String(opts.id), String(opts.hosts)];
  if (opts.router) args.push('--router', opts.router);
  try {
    await run('bash', [WORLD_SH, ...args], { cwd: REPO, maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`world.sh ${args.join(' ')} failed: ${e.stderr ?? e.message}`);
  }
  return loadWorld(opts.id);
}

/** Describe a world that is already up (reads .tmp/world-ID/world.env). */
export function loadWorld(id: number): World {
  const dir = path.join(REPO, '.tmp', `world-${id}`);
  const env = parseWorldEnv(readFileSync(path.join(dir, 'world.env'), 'utf8'));
  const need = (k: string): string => {
    const v = env[k];
    if (v === undefined) throw new Error(`${dir}/world.env: ${k} is missing`);
    return v;
  };
  const hosts: WorldHost[] = need('HOSTS')
    .split(' ')
    .filter(Boolean)
    .map((name) => {
      const k = name.toUpperCase();
      return {
        name,
        addr: need(`${k}_ADDR`),
        sshPort: Number(need(`${k}_SSH_PORT`)),
        httpPort: Number(need(`${k}_HTTP_PORT`)),
        rolloutConfig: need(`${k}_CONFIG`),
        stateDir: need(`${k}_STATE`),
        haproxySocket: need(`${k}_SOCKET`),
        root: need(`${k}_ROOT`),
      };
    });
  const prefixes = new Map(hosts.map((h) => [h.name, need(`${h.name.toUpperCase()}_PREFIX`)]));
  return {
    id,
    dir,
    router: need('WORLD_ROUTER') as 'haproxy' | 'traefik',
    registry: need('REGISTRY'),
    registryUser: need('REGISTRY_USER'),
    registryPassword: need('REGISTRY_PASSWORD'),
    registryDockerConfig: need('REGISTRY_DOCKER_CONFIG'),
    testImage: need('TEST_IMAGE'),
    sshKeyPath: need('SSH_KEY'),
    knownHostsPath: need('KNOWN_HOSTS'),
    clusterFile: need('CLUSTER_FILE'),
    deployUser: need('DEPLOY_USER'),
    hosts,
    projectPrefix(host: WorldHost | string): string {
      const name = typeof host === 'string' ? host : host.name;
      const p = prefixes.get(name);
      if (p === undefined) throw new Error(`world ${id} has no host ${name}`);
      return p;
    },
    async stop(): Promise<void> {
      await run('bash', [WORLD_SH, 'down', String(id)], { cwd: REPO });
    },
  };
}
