#!/usr/bin/env node
// Issue 13 row 4 on its own, for comparing bundles side by side in one run:
// from `node DIST/deploy/index.js` (the action) and `node DIST/cli/index.js
// deploy` to the first byte at the host (through scripts/bench/first-byte.mjs),
// `delivery --help` wall, and a bare `node -e 0`, interleaved run by run.
// The same commands as scripts/bench/targets.mjs's "4 startup" section, on a
// test world of its own (one host).
//
//   node scripts/bench/startup.mjs --world ID [--runs N] [--dry-run] [--keep] DIST [DIST…]
//
// --dry-run deploys with --dry-run (the same first byte; no switch, faster);
// --keep leaves the world up. Prints one table, figures in ms: medians, and
// the median of the per-run differences against `node -e 0`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { BARE_ENV, median, runnerSha, sh, testImages, worldUp } from './world.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const opt = (n, d) => (args.includes(n) ? args[args.indexOf(n) + 1] : d);
const valued = ['--world', '--runs'];
const DISTS = args.filter((a, i) => !a.startsWith('--') && !valued.includes(args[i - 1])).map((p) => path.resolve(p));
const ID = Number(opt('--world', NaN));
const RUNS = Number(opt('--runs', 7));
const DRY = args.includes('--dry-run');
if (!Number.isInteger(ID) || !DISTS.length) {
  console.error('usage: startup.mjs --world ID [--runs N] [--dry-run] [--keep] DIST [DIST…]');
  process.exit(2);
}
const DIR = path.join(ROOT, '.tmp', `startup-${ID}`);
const say = (m) => console.error(`startup: ${m}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const W = worldUp(ID);
if (!args.includes('--keep')) process.on('exit', () => spawnSync('bash', [path.join(ROOT, 'test/world/world.sh'), 'down', String(ID)], { stdio: 'inherit' }));
rmSync(DIR, { recursive: true, force: true });
mkdirSync(DIR, { recursive: true });
const { repo, images: IMG } = testImages(W);

const RUNNER_SHA = runnerSha();
const cluster = YAML.parse(readFileSync(W.CLUSTER_FILE, 'utf8'));
const h1 = cluster.hosts[0];
writeFileSync(path.join(DIR, 'fb.yml'), YAML.stringify({ http_port: cluster.http_port, hosts: [{ ...h1, port: 2223 }] }));
const knownHosts = readFileSync(W.KNOWN_HOSTS, 'utf8');
const hostKey = knownHosts.split('\n').find((l) => l.startsWith(`[${h1.host}]:2222 `)).split(' ').slice(1).join(' ');
writeFileSync(path.join(DIR, 'known_hosts'), knownHosts + `[${h1.host}]:2223 ${hostKey}\n`);
const deliveryfile = {
  version: 1.0,
  application: 'bench/web',
  router: 'haproxy',
  registry: W.REGISTRY,
  route: { service: 'web', port: 8080, path: '/web/', strip_prefix: true },
  health: { timeout: 60, stable: 1 },
  images: { web: repo },
  environments: { one: { cluster: ['fb.yml'], files: ['compose.yml'] } },
};
writeFileSync(path.join(DIR, 'Deliveryfile.fb'), YAML.stringify(deliveryfile));
writeFileSync(path.join(DIR, 'compose.yml'), `services:\n  web:\n    image: ${repo}:v1\n    init: true\n`);
const cliEnv = {
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  DELIVERY_FILE: path.join(DIR, 'Deliveryfile.fb'),
  DELIVERY_SSH_KEY: readFileSync(W.SSH_KEY, 'utf8'),
  DELIVERY_KNOWN_HOSTS: readFileSync(path.join(DIR, 'known_hosts'), 'utf8'),
  DELIVERY_REGISTRY_USERNAME: W.REGISTRY_USER,
  DELIVERY_REGISTRY_PASSWORD: W.REGISTRY_PASSWORD,
};
const actionEnv = (image) => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  INPUT_ENVIRONMENT: 'one',
  INPUT_DELIVERYFILE: path.join(DIR, 'Deliveryfile.fb'),
  'INPUT_SSH-KEY': cliEnv.DELIVERY_SSH_KEY,
  'INPUT_KNOWN-HOSTS': cliEnv.DELIVERY_KNOWN_HOSTS,
  INPUT_IMAGES: `web=${image}`,
  'INPUT_REGISTRY-USERNAME': W.REGISTRY_USER,
  'INPUT_REGISTRY-PASSWORD': W.REGISTRY_PASSWORD,
  'INPUT_DRY-RUN': DRY ? 'true' : '',
  // what the runner always sets (the action reads the commit from them,
  // not from git)
  GITHUB_ACTIONS: 'true',
  GITHUB_SHA: RUNNER_SHA,
  GITHUB_REF: 'refs/heads/main',
  GITHUB_WORKSPACE: DIR,
  GITHUB_OUTPUT: path.join(DIR, 'github-output'),
  GITHUB_STEP_SUMMARY: path.join(DIR, 'github-summary'),
  RUNNER_TEMP: DIR,
});
/** Waits (not timed) until rollout's work after the last switch is done. */
function idle() {
  const lock = path.join(W.H1_STATE, 'bench/web', 'lock');
  if (existsSync(lock)) spawnSync('flock', ['-w', '120', lock, 'true']);
}

const fbFile = path.join(DIR, 'first-byte.log');
const fwd = spawn(process.execPath, [path.join(ROOT, 'scripts/bench/first-byte.mjs'), `${h1.host}:2223`, `${h1.host}:2222`, fbFile], { stdio: 'ignore' });
process.on('exit', () => fwd.kill());
await sleep(500);
const lastFirstByte = () => {
  const lines = existsSync(fbFile) ? readFileSync(fbFile, 'utf8').trim().split('\n').filter(Boolean) : [];
  return lines.length ? Number(lines[lines.length - 1].split(' ')[0]) : NaN;
};
/** Runs node with argv; ms from the spawn to the first byte at the host (or to the exit, when `wall`). */
function timed(argv, env, wall = false) {
  const before = lastFirstByte();
  const t = Date.now();
  const r = spawnSync(process.execPath, argv, { env, encoding: 'utf8', maxBuffer: 1 << 26 });
  const end = Date.now();
  // The first byte counts whatever the host answers after it (the figure is the client's start).
  if (r.status !== 0) say(`${path.relative(ROOT, argv[0])} ${argv[1] ?? ''} exited ${r.status}: ${(r.stderr || r.stdout).trim().split('\n').slice(-1)[0]}`);
  if (wall) return r.status === 0 ? end - t : NaN;
  const fb = lastFirstByte();
  return fb === before ? NaN : fb - t;
}

say(`world ${ID}, ${RUNS} runs${DRY ? ' (dry-run)' : ''}: ${DISTS.join(', ')}`);
const S = { node: [], ...Object.fromEntries(DISTS.map((d) => [d, { action: [], cli: [], help: [] }])) };
for (let i = 0; i < RUNS; i++) {
  const t = Date.now();
  spawnSync(process.execPath, ['-e', '0'], { stdio: 'ignore', env: BARE_ENV });
  S.node.push(Date.now() - t);
  for (const [k, d] of DISTS.entries()) {
    const img = IMG[(i + k) % 2];
    writeFileSync(path.join(DIR, 'github-output'), '');
    writeFileSync(path.join(DIR, 'github-summary'), '');
    idle();
    S[d].action.push(timed([path.join(d, 'deploy/index.js')], actionEnv(img)));
    idle();
    const cli = path.join(d, 'cli/index.js');
    S[d].cli.push(timed([cli, 'deploy', '--env', 'one', '--images', `web=${IMG[(i + k + 1) % 2]}`, ...(DRY ? ['--dry-run'] : [])], cliEnv));
    idle();
    S[d].help.push(timed([cli, '--help'], cliEnv, true));
  }
  say(`  run ${i + 1}: node ${S.node.at(-1)} ms; ${DISTS.map((d) => `${path.basename(d)}: action ${Math.round(S[d].action.at(-1))}, cli ${Math.round(S[d].cli.at(-1))}, help ${S[d].help.at(-1)}`).join('; ')}`);
}
fwd.kill();
const over = (xs) => median(xs.map((x, i) => x - S.node[i]));
const r = (x) => (Number.isFinite(x) ? String(Math.round(x)) : '–');
const lines = [
  `startup, world ${ID}, ${RUNS} runs${DRY ? ' (dry-run)' : ''}; ms; "+" = median of per-run differences against \`node -e 0\` (median ${r(median(S.node))} ms)`,
  '',
  '| dist | action first byte | + | cli deploy first byte | + | --help wall | + |',
  '| --- | --- | --- | --- | --- | --- | --- |',
  ...DISTS.map((d) => `| ${path.relative(process.cwd(), d) || '.'} | ${r(median(S[d].action))} | +${r(over(S[d].action))} | ${r(median(S[d].cli))} | +${r(over(S[d].cli))} | ${r(median(S[d].help))} | +${r(over(S[d].help))} |`),
];
console.log(lines.join('\n'));
