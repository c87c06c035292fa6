#!/usr/bin/env node
// Issue 13, row 5: the seed's scale on one host. APPS apps (default 60) and
// APPS/6 previews deployed one after another (`delivery deploy`, a new app
// each) to one host of test world 109, installed with install.sh's default
// HAProxy pool; the last app's deploy against the first (medians of 3),
// HAProxy's memory and the route map's size.
//
//   node scripts/bench/scale.mjs DIST OUT.json [--apps N]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const opt = (n, d) => (args.includes(n) ? args[args.indexOf(n) + 1] : d);
const pos = args.filter((a, i) => !a.startsWith('--') && !['--apps'].includes(args[i - 1]));
const [DIST, OUTJ] = pos.map((p) => p && path.resolve(p));
if (!DIST || !OUTJ) {
  console.error('usage: scale.mjs DIST OUT.json [--apps N]');
  process.exit(2);
}
const APPS = Number(opt('--apps', 60));
const PREVIEWS = Math.round(APPS / 6);
const SCALE_ID = 109;
const DIR = path.join(ROOT, '.tmp', `bench-${SCALE_ID}`);
const CLI = path.join(DIST, 'cli', 'index.js');
const say = (m) => console.error(`scale: ${m}`);
const sh = (cmd, a, o = {}) => execFileSync(cmd, a, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26, ...o });
const median = (xs) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};
const secs = (x) => (Number.isFinite(x) ? `${x.toFixed(2)} s` : '–');
const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : '–');
const now = () => performance.now() / 1000;
function worldUp(id, env = {}) {
  sh('bash', [path.join(ROOT, 'test/world/world.sh'), 'up', String(id), '1'], { env: { ...process.env, ...env } });
  const w = {};
  for (const l of readFileSync(path.join(ROOT, '.tmp', `world-${id}`, 'world.env'), 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(l);
    if (m) w[m[1]] = m[2].replace(/^"|"$/g, '');
  }
  return w;
}
const worlds = [];
process.on('exit', () => {
  for (const id of worlds) spawnSync('bash', [path.join(ROOT, 'test/world/world.sh'), 'down', String(id)], { stdio: 'inherit' });
});
function idle(app, state) {
  const lock = path.join(state, app, 'lock');
  if (existsSync(lock)) spawnSync('flock', ['-w', '120', lock, 'true']);
}
const deliveryfile = (app, routePath, cl, registry, repo) => ({
  version: 1.0,
  application: app,
  router: 'haproxy',
  registry,
  route: { service: 'web', port: 8080, path: routePath, strip_prefix: true },
  health: { timeout: 60, stable: 1 },
  images: { web: repo },
  environments: { one: { cluster: [cl], files: ['compose.yml'] } },
});
rmSync(DIR, { recursive: true, force: true });
mkdirSync(DIR, { recursive: true });

// ---------------------------------------------------------------- 5 scale
let scale = null;
{
  say(`scale: ${APPS} apps and ${PREVIEWS} previews, one after another, to one host with the default pool (world ${SCALE_ID})`);
  worlds.push(SCALE_ID);
  const V = worldUp(SCALE_ID, { WORLD_POOL: 'default' });
  const vcfg = readFileSync(V.H1_CONFIG, 'utf8');
  const pool = /^HAPROXY_POOL_SIZE=(\d+)$/m.exec(vcfg)?.[1] ?? '(rollout default)';
  const sdir = DIR;
  mkdirSync(sdir, { recursive: true });
  // A host with 70 apps does not health-check each 3 times a second: the
  // check runs every 300 ms while the container starts, then every 30 s.
  writeFileSync(
    path.join(sdir, 'compose.yml'),
    `services:\n  web:\n    image: ${V.TEST_IMAGE}:v1\n    init: true\n    network_mode: bridge\n    healthcheck:\n` +
      `      test: ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:8080/health || exit 1"]\n` +
      `      interval: 30s\n      timeout: 2s\n      retries: 2\n      start_period: 60s\n      start_interval: 300ms\n`,
  );
  const venv = (file) => ({
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DELIVERY_FILE: file,
    DELIVERY_SSH_KEY: readFileSync(V.SSH_KEY, 'utf8'),
    DELIVERY_KNOWN_HOSTS: readFileSync(V.KNOWN_HOSTS, 'utf8'),
    DELIVERY_REGISTRY_USERNAME: V.REGISTRY_USER,
    DELIVERY_REGISTRY_PASSWORD: V.REGISTRY_PASSWORD,
  });
  const hapPid = () => Number(readFileSync(path.join(ROOT, '.tmp', `world-${SCALE_ID}`, 'h1', 'haproxy.pid'), 'utf8').trim().split('\n')[0]);
  const rssMb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
  const rss0 = rssMb(hapPid());
  const vDockerEnv = { ...process.env, DOCKER_CONFIG: V.REGISTRY_DOCKER_CONFIG };
  sh('docker', ['pull', '-q', `${V.TEST_IMAGE}:v1`], { env: vDockerEnv });
  const vImage = sh('docker', ['image', 'inspect', '--format', '{{range .RepoDigests}}{{println .}}{{end}}', `${V.TEST_IMAGE}:v1`])
    .split('\n')
    .find((l) => l.startsWith(V.TEST_IMAGE + '@sha256:'));
  const walls = [];
  const names = [...Array.from({ length: APPS }, (_, i) => `app${String(i + 1).padStart(2, '0')}`), ...Array.from({ length: PREVIEWS }, (_, i) => `app01-pr-${i + 1}`)];
  let failed = '';
  for (const [i, name] of names.entries()) {
    const file = path.join(sdir, `Deliveryfile.${name}`);
    const df = deliveryfile(`scale/${name}`, `/${name}/`, V.CLUSTER_FILE, V.REGISTRY, V.TEST_IMAGE);
    writeFileSync(file, YAML.stringify(df));
    const t0 = now();
    const r = spawnSync(process.execPath, [CLI, 'deploy', '--env', 'one', '--json', '--images', `web=${vImage}`], { env: venv(file), cwd: sdir, encoding: 'utf8', maxBuffer: 1 << 26 });
    walls.push(now() - t0);
    if (r.status !== 0) {
      failed = `${name} (deploy ${i + 1}) exited ${r.status}: ${(r.stderr.match(/rollout: .*/g) ?? [r.stderr.slice(-300)]).slice(-1)[0]}`;
      say(failed);
      break;
    }
    idle(`scale/${name}`, V.H1_STATE);
    if ((i + 1) % 10 === 0) say(`  ${i + 1} deployed, last ${secs(walls.at(-1))}`);
  }
  let served = 0;
  for (const name of names.slice(0, walls.length)) {
    const r = spawnSync('curl', ['-s', '-m', '3', `http://${V.H1_ADDR}:${V.H1_HTTP_PORT}/${name}/`], { encoding: 'utf8' });
    if (r.stdout.trim() === 'v1') served++;
  }
  const mapDir = path.join(V.H1_ROOT, 'etc/haproxy/delivery');
  const mapLines = readFileSync(path.join(mapDir, 'paths.map'), 'utf8').split('\n').filter(Boolean).length;
  const mapBytes = readFileSync(path.join(mapDir, 'paths.map')).length;
  const apps = walls.slice(0, APPS);
  scale = {
    walls,
    pool,
    deployed: walls.length,
    wanted: names.length,
    served,
    failed,
    first: median(apps.slice(0, 3)),
    last: median(apps.slice(-3)),
    firstOne: apps[0],
    lastOne: apps[APPS - 1],
    previews: median(walls.slice(APPS)),
    rss0,
    rss1: rssMb(hapPid()),
    mapLines,
    mapBytes,
  };
}


const ratio = scale.last / scale.first;
const row = {
  n: 5,
  what: `${APPS} apps + ${PREVIEWS} previews on one host (default pool: ${scale.pool} backends): deploy ${APPS} against deploy 1 (medians of 3)`,
  fmt: `${f2(ratio)} ×; ${scale.deployed}/${scale.wanted} deployed, ${scale.served} serving; HAProxy ${scale.rss1.toFixed(1)} MB RSS; paths.map ${scale.mapLines} lines, ${scale.mapBytes} B`,
  target: '≤ 1.2 ×, all deployed',
  met: ratio <= 1.2 && scale.deployed === scale.wanted && scale.served === scale.wanted,
};
const md = `### The seed's scale on one host (\`scripts/bench/scale.mjs\`)

World ${SCALE_ID}, one host installed with install.sh's default pool (${scale.pool} HAProxy backends).
${scale.deployed} of ${scale.wanted} deploys (\`delivery deploy --env one --json\`, a new app each, one after
another; the compose file health-checks every 300 ms while a container starts,
then every 30 s), ${scale.served} apps answering through the router afterwards${scale.failed ? `; stopped at ${scale.failed}` : ''}.
Deploy wall: first ${secs(scale.firstOne)}, ${APPS}th ${secs(scale.lastOne)} (medians of the first and last 3:
${secs(scale.first)} / ${secs(scale.last)}, **${f2(ratio)} ×**, target ≤ 1.2 ×); previews ${secs(scale.previews)}.
HAProxy RSS ${scale.rss0.toFixed(1)} MB before, ${scale.rss1.toFixed(1)} MB after; paths.map ${scale.mapLines} lines, ${scale.mapBytes} bytes.
`;
writeFileSync(OUTJ, JSON.stringify({ row, scale, walls: scale.walls }, null, 1));
writeFileSync(OUTJ.replace(/\.json$/, '.md'), md);
console.log(md);
