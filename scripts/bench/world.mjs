// What the one-host benchmarks (targets.mjs, startup.mjs) share: a test
// world up with its env, the test app's two images on the host by digest,
// and medians.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const sh = (cmd, a, o = {}) => execFileSync(cmd, a, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26, ...o });

export const median = (xs) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};

/** test/world/world.sh up ID HOSTS; returns its world.env as an object. */
export function worldUp(id, hosts = 1, env = {}) {
  sh('bash', [path.join(ROOT, 'test/world/world.sh'), 'up', String(id), String(hosts)], { env: { ...process.env, ...env } });
  const w = {};
  for (const l of readFileSync(path.join(ROOT, '.tmp', `world-${id}`, 'world.env'), 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(l);
    if (m) w[m[1]] = m[2].replace(/^"|"$/g, '');
  }
  return w;
}

/** The test app's v1 and v2 pulled onto the host: their repo@sha256 refs (deploys alternate, nothing pulls). */
export function testImages(W) {
  const repo = W.TEST_IMAGE;
  const digestOf = (ref) =>
    sh('docker', ['image', 'inspect', '--format', '{{range .RepoDigests}}{{println .}}{{end}}', ref])
      .split('\n')
      .find((l) => l.startsWith(repo + '@sha256:'));
  for (const tag of ['v1', 'v2']) sh('docker', ['pull', '-q', `${repo}:${tag}`], { env: { ...process.env, DOCKER_CONFIG: W.REGISTRY_DOCKER_CONFIG } });
  return { repo, images: [digestOf(`${repo}:v1`), digestOf(`${repo}:v2`)] };
}

/**
 * The environment of a bare `node -e 0`: the one the measured commands get
 * (PATH and HOME only). A variable of the bench's own environment such as
 * NODE_EXTRA_CA_CERTS (set on this machine) costs every node start ~60 ms,
 * which would make the baseline slower than what it is compared with.
 */
export const BARE_ENV = { PATH: process.env.PATH, HOME: process.env.HOME };

/** The commit a runner names in GITHUB_SHA: this checkout's HEAD. */
export function runnerSha() {
  try {
    return sh('git', ['-C', ROOT, 'rev-parse', 'HEAD']).trim();
  } catch {
    return 'f'.repeat(40);
  }
}
