/**
 * The real-host world for vitest (wraps hosts.sh; see README.md here):
 * bare Debian hosts booting systemd, each with its own dockerd, sshd and
 * HAProxy, and a registry, reached only through 127.91.0.0/24.
 *
 *   const w = await startHosts({ name: 'a', slot: 0, hosts: 3 });
 *   afterAll(() => w.stop());
 */
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const REPO = path.resolve(__dirname, '..', '..');
const HOSTS_SH = path.join(REPO, 'test', 'hosts', 'hosts.sh');

export interface RealHost {
  name: string;
  /** the host's container */
  container: string;
  /** 127.91.0.x: ssh on 2222, the router (HAProxy, port 80 inside) on 8080 */
  addr: string;
  sshPort: number;
  httpPort: number;
}

export interface HostsWorld {
  name: string;
  dir: string;
  /** the registry as the hosts see it: dh-registry:5000 */
  registry: string;
  /** the same registry from this machine (for pushing) */
  registryLocal: string;
  registryUser: string;
  registryPassword: string;
  dockerConfig: string;
  /** root's key on every host (the admin) and the known_hosts the admin starts with */
  adminKey: string;
  adminKnownHosts: string;
  /** the key CI deploys with (setup installs its .pub with the forced command) */
  deployKey: string;
  hosts: RealHost[];
  /** runs a command on a host as root (docker exec), returns stdout */
  exec(h: RealHost, cmd: string, input?: string): Promise<string>;
  /** the host's own image list (repo@digest and repo:tag) */
  images(h: RealHost): Promise<string[]>;
  /** docker restart: a reboot; waits until systemd is up */
  reboot(h: RealHost): Promise<void>;
  /** docker kill: power off */
  powerOff(h: RealHost): Promise<void>;
  /** docker start after a power off; waits until systemd is up */
  powerOn(h: RealHost): Promise<void>;
  /** pushes a local image as REPO:TAG to the registry; returns the hosts' reference by digest */
  push(localImage: string, repo: string, tag: string): Promise<string>;
  stop(): Promise<void>;
}

function readEnv(file: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) env[line.slice(0, i)] = line.slice(i + 1);
  }
  return env;
}

async function waitBooted(container: string): Promise<void> {
  for (let i = 0; i < 240; i++) {
    const r = spawnSync('docker', ['exec', container, 'systemctl', 'is-system-running'], { encoding: 'utf8' });
    if (r.stdout.trim() === 'running') return;
    if (r.stdout.trim() === 'degraded') {
      const failed = spawnSync('docker', ['exec', container, 'systemctl', '--failed', '--no-legend'], { encoding: 'utf8' }).stdout;
      throw new Error(`${container} booted degraded: ${failed}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${container} did not boot within 60 s`);
}

export async function startHosts(o: { name: string; slot: number; hosts: number }): Promise<HostsWorld> {
  await run('bash', [HOSTS_SH, 'down', o.name], { cwd: REPO });
  try {
    await run('bash', [HOSTS_SH, 'up', o.name, String(o.slot), String(o.hosts)], { cwd: REPO, timeout: 1_200_000, maxBuffer: 1 << 24 });
  } catch (err) {
    throw new Error(`hosts.sh up failed: ${(err as { stderr?: string }).stderr ?? err}`);
  }
  const dir = path.join(REPO, '.tmp', `hosts-${o.name}`);
  const env = readEnv(path.join(dir, 'world.env'));
  const hosts: RealHost[] = Array.from({ length: o.hosts }, (_, k) => ({
    name: `h${k + 1}`,
    container: env[`H${k + 1}_CONTAINER`],
    addr: env[`H${k + 1}_ADDR`],
    sshPort: 2222,
    httpPort: 8080,
  }));
  const exec = async (h: RealHost, cmd: string, input?: string) => {
    const child = execFile('docker', ['exec', '-i', h.container, 'sh', '-c', cmd], { maxBuffer: 1 << 24 });
    const done = new Promise<string>((resolve, reject) => {
      let out = '';
      let err = '';
      child.stdout!.on('data', (c) => (out += c));
      child.stderr!.on('data', (c) => (err += c));
      child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${h.name}: \`${cmd}\` exited ${code}: ${err}`))));
    });
    child.stdin!.end(input ?? '');
    return done;
  };
  return {
    name: o.name,
    dir,
    registry: env.REGISTRY,
    registryLocal: env.REGISTRY_LOCAL,
    registryUser: env.REGISTRY_USER,
    registryPassword: env.REGISTRY_PASSWORD,
    dockerConfig: env.DOCKER_CONFIG_DIR,
    adminKey: env.ADMIN_KEY,
    adminKnownHosts: env.ADMIN_KNOWN_HOSTS,
    deployKey: env.DEPLOY_KEY,
    hosts,
    exec,
    images: async (h) =>
      (await exec(h, "docker images --digests --format '{{.Repository}}:{{.Tag}} {{.Repository}}@{{.Digest}}'"))
        .split(/\s+/)
        .filter((s) => s && !s.endsWith(':<none>') && !s.endsWith('@<none>')),
    reboot: async (h) => {
      await run('docker', ['restart', '-t', '20', h.container]);
      await waitBooted(h.container);
    },
    powerOff: async (h) => {
      await run('docker', ['kill', h.container]);
    },
    powerOn: async (h) => {
      await run('docker', ['start', h.container]);
      await waitBooted(h.container);
    },
    push: async (local, repo, tag) => {
      const ref = `${env.REGISTRY_LOCAL}/${repo}:${tag}`;
      await run('docker', ['tag', local, ref]);
      const { stdout } = await run('docker', ['push', ref], { env: { ...process.env, DOCKER_CONFIG: env.DOCKER_CONFIG_DIR } });
      const digest = /digest: (sha256:[0-9a-f]{64})/.exec(stdout)?.[1];
      if (!digest) throw new Error(`docker push ${ref}: no digest in ${stdout}`);
      await run('docker', ['rmi', ref]);
      return `${env.REGISTRY}/${repo}@${digest}`;
    },
    stop: async () => {
      await run('bash', [HOSTS_SH, 'down', o.name], { cwd: REPO });
    },
  };
}

/** One GET on a fresh connection; "STATUS BODY" or "error …"; 5 s at most. */
export function get(url: string): Promise<string> {
  return new Promise((resolve) => {
    const req = httpGet(url, { agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(`${res.statusCode} ${body.trim()}`));
      res.on('error', (e) => resolve(`error ${e.message}`));
    });
    req.on('timeout', () => req.destroy(new Error('timed out after 5 s')));
    req.on('error', (e: NodeJS.ErrnoException) => resolve(`error ${e.code ?? ''} ${e.message}`));
  });
}

/** Polls url until it answers 200 (or the limit passes); returns the body and the seconds it took. */
export async function firstOk(url: string, limitSeconds: number): Promise<{ body: string; seconds: number } | null> {
  const t0 = Date.now();
  while (Date.now() - t0 < limitSeconds * 1000) {
    const r = await get(url);
    if (r.startsWith('200 ')) return { body: r.slice(4), seconds: (Date.now() - t0) / 1000 };
    await new Promise((r) => setTimeout(r, 100));
  }
  return null;
}
