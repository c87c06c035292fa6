#!/usr/bin/env node
// Issue 13, row 5: the seed's scale on one host. Test world 109 with two
// hosts, both installed with install.sh's default HAProxy pool, sharing the
// machine's Docker engine:
//
//  - the full host (h2): APPS apps (default 60) and APPS/6 previews deployed
//    one after another (`delivery deploy`, a new app each); all must deploy
//    and answer through the router; HAProxy's memory and the route map's
//    size afterwards;
//  - the small host (h1): one app;
//  - then PAIRS pairs, side by side: a new app's first deploy to the small
//    host and the same deploy to the full host (app APPS+PREVIEWS+1 there),
//    in alternating order (ABBA), removed again after its pair (`delivery
//    remove`); the row's ratio is the median of these pairs' ratios, so the
//    machine's load (shared, and it moves by the minute) is in both halves
//    of every pair. Beside them, the same for a redeploy: a new release of
//    the small host's app and of the full host's app APPS.
//
// Per-phase figures come from the client's own lines ([h1] received: …),
// timed as they arrive. The fill's own first and last deploys are printed
// too, but they are minutes apart and follow the machine's load. Both hosts
// share the engine, so the engine's own growth with its containers is in
// both halves of a pair; the fill is where it shows (with the load).
//
//   node scripts/bench/scale.mjs DIST OUT.json [--apps N] [--pairs K] [--world ID]
//
// --world is for trying the bench beside a running one (default 109).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const opt = (n, d) => (args.includes(n) ? args[args.indexOf(n) + 1] : d);
const pos = args.filter((a, i) => !a.startsWith('--') && !['--apps', '--pairs', '--world'].includes(args[i - 1]));
const [DIST, OUTJ] = pos.map((p) => p && path.resolve(p));
if (!DIST || !OUTJ) {
  console.error('usage: scale.mjs DIST OUT.json [--apps N] [--pairs K] [--world ID]');
  process.exit(2);
}
const APPS = Number(opt('--apps', 60));
const PAIRS = Number(opt('--pairs', 5));
const PREVIEWS = Math.round(APPS / 6);
const SCALE_ID = Number(opt('--world', 109));
const DIR = path.join(ROOT, '.tmp', `bench-${SCALE_ID}`);
const CLI = path.join(DIST, 'cli', 'index.js');
const WORLD_SH = path.join(ROOT, 'test/world/world.sh');
const say = (m) => console.error(`scale: ${m}`);
const sh = (cmd, a, o = {}) => execFileSync(cmd, a, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26, ...o });
const median = (xs) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};
const secs = (x) => (Number.isFinite(x) ? `${x.toFixed(2)} s` : '–');
const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : '–');
const now = () => performance.now() / 1000;
const ordinal = (n) => `${n}${n % 100 >= 11 && n % 100 <= 13 ? 'th' : ['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'}`;

// ---------------------------------------------------------------- the world
function worldUp(id, env = {}) {
  // a fresh world: an HAProxy left from an earlier run keeps its old pool
  spawnSync('bash', [WORLD_SH, 'down', String(id)], { stdio: ['ignore', 'ignore', 'inherit'] });
  sh('bash', [WORLD_SH, 'up', String(id), '2'], { env: { ...process.env, ...env } });
  const w = {};
  for (const l of readFileSync(path.join(ROOT, '.tmp', `world-${id}`, 'world.env'), 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(l);
    if (m) w[m[1]] = m[2].replace(/^"|"$/g, '');
  }
  return w;
}
let worldStarted = false;
process.on('exit', () => {
  if (worldStarted) spawnSync('bash', [WORLD_SH, 'down', String(SCALE_ID)], { stdio: 'inherit' });
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

say(`${APPS} apps and ${PREVIEWS} previews, one after another, to one host with the default pool; then ${PAIRS} pairs against a host holding one app (world ${SCALE_ID}, 2 hosts)`);
rmSync(DIR, { recursive: true, force: true });
mkdirSync(DIR, { recursive: true });
worldStarted = true;
const V = worldUp(SCALE_ID, { WORLD_POOL: 'default' });
const pool = /^HAPROXY_POOL_SIZE=(\d+)$/m.exec(readFileSync(V.H2_CONFIG, 'utf8'))?.[1] ?? '(rollout default)';
const cluster = YAML.parse(readFileSync(V.CLUSTER_FILE, 'utf8'));
const HOSTS = {
  small: { name: 'h1', addr: V.H1_ADDR, state: V.H1_STATE, root: V.H1_ROOT, cluster: path.join(DIR, 'cluster-h1.yml') },
  full: { name: 'h2', addr: V.H2_ADDR, state: V.H2_STATE, root: V.H2_ROOT, cluster: path.join(DIR, 'cluster-h2.yml') },
};
for (const h of Object.values(HOSTS)) writeFileSync(h.cluster, YAML.stringify({ ...cluster, hosts: cluster.hosts.filter((x) => x.name === h.name) }));

// A host with 70 apps does not health-check each 3 times a second: the
// check runs every 300 ms while the container starts, then every 30 s.
writeFileSync(
  path.join(DIR, 'compose.yml'),
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
const hapPid = (h) => Number(readFileSync(path.join(ROOT, '.tmp', `world-${SCALE_ID}`, h.name, 'haproxy.pid'), 'utf8').trim().split('\n')[0]);
const rssMb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
const rss0 = rssMb(hapPid(HOSTS.full));
const dockerEnv = { ...process.env, DOCKER_CONFIG: V.REGISTRY_DOCKER_CONFIG };
for (const tag of ['v1', 'v2']) sh('docker', ['pull', '-q', `${V.TEST_IMAGE}:${tag}`], { env: dockerEnv });
const digestOf = (tag) =>
  sh('docker', ['image', 'inspect', '--format', '{{range .RepoDigests}}{{println .}}{{end}}', `${V.TEST_IMAGE}:${tag}`])
    .split('\n')
    .find((l) => l.startsWith(V.TEST_IMAGE + '@sha256:'));
const vImage = digestOf('v1');
const vImage2 = digestOf('v2');
/** The pinned images are on the engine (the hosts share it here; one host's remove of its last app untags them). */
function ensureImages() {
  for (const ref of [vImage, vImage2]) {
    if (spawnSync('docker', ['image', 'inspect', ref], { stdio: 'ignore' }).status !== 0) {
      say(`  ${ref} was no longer on the engine: pulled again`);
      sh('docker', ['pull', '-q', ref], { env: dockerEnv });
    }
  }
}

/** Waits until the app's detached worker (the old color's stop, pruning) let go of its lock. */
function idle(app, h) {
  const lock = path.join(h.state, app, 'lock');
  if (existsSync(lock)) spawnSync('flock', ['-w', '120', lock, 'true']);
}
function deliveryfile(name, h) {
  const file = path.join(DIR, `Deliveryfile.${h.name}.${name}`);
  const df = {
    version: 1.0,
    application: `scale/${name}`,
    router: 'haproxy',
    registry: V.REGISTRY,
    route: { service: 'web', port: 8080, path: `/${name}/`, strip_prefix: true },
    health: { timeout: 60, stable: 1 },
    images: { web: V.TEST_IMAGE },
    environments: { one: { cluster: [h.cluster], files: ['compose.yml'] } },
  };
  writeFileSync(file, YAML.stringify(df));
  return file;
}
// the client's lines that mark a phase, by what they start with after "[h1] "
const MARKS = { 'preflight ok': 'preflight', uploaded: 'uploaded', 'received:': 'received', 'checked:': 'checked', 'starting:': 'starting', 'healthy:': 'healthy', 'switched:': 'switched' };
/** `delivery VERB --env one` for app NAME on host H: wall seconds, exit code, phase times (s from start). */
function delivery(verb, name, h, extra = []) {
  const file = deliveryfile(name, h);
  return new Promise((resolve) => {
    const t0 = now();
    const p = spawn(process.execPath, [CLI, verb, '--env', 'one', '--json', ...extra], { env: venv(file), cwd: DIR, stdio: ['ignore', 'pipe', 'pipe'] });
    const marks = {};
    let err = '';
    let buf = '';
    p.stdout.resume();
    p.stderr.setEncoding('utf8');
    p.stderr.on('data', (c) => {
      const t = now() - t0;
      err += c;
      buf += c;
      const lines = buf.split('\n');
      buf = lines.pop();
      for (const l of lines) {
        const m = /^\[[^\]]+\] (.*)$/.exec(l);
        if (!m) continue;
        for (const [k, v] of Object.entries(MARKS)) if (m[1].startsWith(k) && !(v in marks)) marks[v] = t;
      }
    });
    p.on('close', (code) => resolve({ wall: now() - t0, code, marks, err }));
  });
}
const failure = (name, r) => `${name} exited ${r.code}: ${(r.err.match(/rollout: .*/g) ?? [r.err.slice(-300)]).slice(-1)[0]}`;

// ---------------------------------------------------------------- the fill
const full = HOSTS.full;
const names = [...Array.from({ length: APPS }, (_, i) => `app${String(i + 1).padStart(2, '0')}`), ...Array.from({ length: PREVIEWS }, (_, i) => `app01-pr-${i + 1}`)];
const walls = [];
let failed = '';
for (const [i, name] of names.entries()) {
  const r = await delivery('deploy', name, full, ['--images', `web=${vImage}`]);
  walls.push(r.wall);
  if (r.code !== 0) {
    failed = `${failure(name, r)} (deploy ${i + 1})`;
    say(failed);
    break;
  }
  idle(`scale/${name}`, full);
  if ((i + 1) % 10 === 0) say(`  ${i + 1} deployed, last ${secs(walls.at(-1))}`);
}
let served = 0;
for (const name of names.slice(0, walls.length)) {
  const r = spawnSync('curl', ['-s', '-m', '3', `http://${full.addr}:${V.H2_HTTP_PORT}/${name}/`], { encoding: 'utf8' });
  if (r.stdout.trim() === 'v1') served++;
}
const deployed = failed ? walls.length - 1 : walls.length;

// ---------------------------------------------------------------- the pairs
// The small host's one app; then probe K: a new app, deployed to the small
// host and to the full one (the order alternates: s f, f s, s f, …), a
// redeploy on each (a new release, v2 and v1 in turn, of the small host's app
// and of the full host's app APPS), then the probes removed again
const small = HOSTS.small;
const soloName = 'solo';
const lastName = names[Math.min(APPS, names.length) - 1];
if (!failed) {
  const r = await delivery('deploy', soloName, small, ['--images', `web=${vImage}`]);
  if (r.code !== 0) failed = `${failure(soloName, r)} (the small host's app)`;
  idle(`scale/${soloName}`, small);
}
const pairs = [];
const redeploys = [];
const probeFail = [];
for (let k = 1; k <= PAIRS && !failed; k++) {
  const name = `probe${k}`;
  const order = k % 2 ? ['small', 'full'] : ['full', 'small'];
  ensureImages();
  const got = {};
  for (const which of order) {
    const h = HOSTS[which];
    got[which] = await delivery('deploy', name, h, ['--images', `web=${vImage}`]);
    if (got[which].code !== 0) probeFail.push(`${failure(name, got[which])} on the ${which} host`);
    idle(`scale/${name}`, h);
  }
  pairs.push(got);
  const again = {};
  for (const which of order) {
    const h = HOSTS[which];
    const app = which === 'small' ? soloName : lastName;
    again[which] = await delivery('deploy', app, h, ['--images', `web=${k % 2 ? vImage2 : vImage}`]);
    if (again[which].code !== 0) probeFail.push(`redeploy: ${failure(app, again[which])} on the ${which} host`);
    idle(`scale/${app}`, h);
  }
  redeploys.push(again);
  for (const which of order) {
    const r = await delivery('remove', name, HOSTS[which]);
    if (r.code !== 0) probeFail.push(`remove: ${failure(name, r)} on the ${which} host`);
  }
  say(
    `  pair ${k}: new app ${secs(got.small.wall)} / ${secs(got.full.wall)} (${f2(got.full.wall / got.small.wall)} ×), ` +
      `redeploy ${secs(again.small.wall)} / ${secs(again.full.wall)} (${f2(again.full.wall / again.small.wall)} ×)`,
  );
}
for (const f of probeFail) say(f);

// ---------------------------------------------------------------- figures
const mapDir = path.join(full.root, 'etc/haproxy/delivery');
const mapText = readFileSync(path.join(mapDir, 'paths.map'), 'utf8');
const good = (ps) => ps.filter((p) => p.small.code === 0 && p.full.code === 0);
const ok = (w) => good(pairs).map((p) => p[w]);
const ratios = good(pairs).map((p) => p.full.wall / p.small.wall);
const reRatios = good(redeploys).map((p) => p.full.wall / p.small.wall);
const PHASES = ['preflight', 'uploaded', 'received', 'checked', 'starting', 'healthy', 'switched'];
/** median time of each step (from the previous mark; the last one to the client's exit) */
function steps(runs) {
  const out = {};
  let prev = () => 0;
  for (const ph of [...PHASES, 'exit']) {
    const at = (r) => (ph === 'exit' ? r.wall : r.marks[ph]);
    const p = prev;
    out[ph] = median(runs.map((r) => at(r) - p(r)));
    prev = at;
  }
  return out;
}
const fills = walls.slice(0, Math.min(APPS, deployed));
const scale = {
  pool,
  deployed,
  wanted: names.length,
  served,
  failed,
  probeFail,
  pairs: pairs.map((p) => ({ small: p.small.wall, full: p.full.wall, smallMarks: p.small.marks, fullMarks: p.full.marks })),
  redeploys: redeploys.map((p) => ({ small: p.small.wall, full: p.full.wall })),
  ratio: median(ratios),
  reRatio: median(reRatios),
  small: median(ok('small').map((r) => r.wall)),
  fullWall: median(ok('full').map((r) => r.wall)),
  reSmall: median(good(redeploys).map((p) => p.small.wall)),
  reFull: median(good(redeploys).map((p) => p.full.wall)),
  stepsSmall: steps(ok('small')),
  stepsFull: steps(ok('full')),
  fillFirst: median(fills.slice(0, 3)),
  fillLast: median(fills.slice(-3)),
  previews: median(walls.slice(APPS)),
  rss0,
  rss1: rssMb(hapPid(full)),
  mapLines: mapText.split('\n').filter(Boolean).length,
  mapBytes: Buffer.byteLength(mapText),
  walls,
};

const ratio = scale.ratio;
const nOk = ratios.length;
const row = {
  n: 5,
  what: `${APPS} apps + ${PREVIEWS} previews on one host (default pool: ${scale.pool} backends): a new app's deploy there against the same deploy to a host holding one app (median of ${nOk} interleaved pairs)`,
  fmt: `${f2(ratio)} × (redeploy ${f2(scale.reRatio)} ×); ${scale.deployed}/${scale.wanted} deployed, ${scale.served} serving; HAProxy ${scale.rss1.toFixed(1)} MB RSS; paths.map ${scale.mapLines} lines, ${scale.mapBytes} B`,
  target: '≤ 1.2 ×, all deployed',
  met: ratio <= 1.2 && nOk === PAIRS && PAIRS > 0 && scale.deployed === scale.wanted && scale.served === scale.wanted,
};
const stepRow = (label, s) => `| ${label} | ${[...PHASES, 'exit'].map((p) => secs(s[p])).join(' | ')} |`;
const pairList = (ps) => ps.map((p) => `${p.small.toFixed(2)} / ${p.full.toFixed(2)}`).join(', ');
const md = `### The seed's scale on one host (\`scripts/bench/scale.mjs\`)

World ${SCALE_ID}, two hosts installed with install.sh's default pool (${scale.pool} HAProxy backends), one Docker engine.
The full host: ${scale.deployed} of ${scale.wanted} deploys (\`delivery deploy --env one --json\`, a new app each, one after
another; the compose file health-checks every 300 ms while a container starts,
then every 30 s), ${scale.served} apps answering through the router afterwards${scale.failed ? `; stopped at ${scale.failed}` : ''}.
The small host: one app. Then ${PAIRS} pairs side by side, in alternating order: a new app's first deploy to the
small host (its 2nd app) and to the full host (its ${ordinal(scale.wanted + 1)}), removed again after each pair; and a redeploy
(a new release) of the small host's app and of the full host's ${lastName}${probeFail.length ? ` (${probeFail.length} failed: ${probeFail[0]})` : ''}.

| deploy wall, medians | small host (1 app) | full host (${scale.wanted} apps) | median of the pairs' ratios |
| --- | --- | --- | --- |
| a new app | ${secs(scale.small)} | ${secs(scale.fullWall)} | **${f2(ratio)} ×** (target ≤ 1.2 ×) |
| a new release of an app there | ${secs(scale.reSmall)} | ${secs(scale.reFull)} | ${f2(scale.reRatio)} × |

Pairs (small / full), new app: ${pairList(scale.pairs)}; redeploy: ${pairList(scale.redeploys)}.
HAProxy RSS on the full host ${scale.rss0.toFixed(1)} MB before the fill, ${scale.rss1.toFixed(1)} MB after; paths.map ${scale.mapLines} lines, ${scale.mapBytes} bytes.
Both hosts run on this machine's one Docker engine, so both halves of a pair see its ${scale.wanted}+ containers: the pairs
measure what grows with the apps in rollout, HAProxy and the host's state. The engine's own share shows only in the fill
(minutes apart, so it follows the machine's load as much as the host): deploys 1–3 ${secs(scale.fillFirst)}, ${Math.max(1, fills.length - 2)}–${fills.length} ${secs(scale.fillLast)} (medians), previews ${secs(scale.previews)}.

Where a new app's deploy goes (medians, seconds from the client's previous line to this one; "exit" is from the switch to the client's exit):

| host | preflight ok | uploaded | received | checked | starting | healthy | switched | exit |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
${stepRow('small (1 app)', scale.stepsSmall)}
${stepRow(`full (${scale.wanted} apps)`, scale.stepsFull)}
`;
writeFileSync(OUTJ, JSON.stringify({ row, scale, walls: scale.walls }, null, 1));
writeFileSync(OUTJ.replace(/\.json$/, '.md'), md);
console.log(md);
