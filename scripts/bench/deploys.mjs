#!/usr/bin/env node
// Deploy benchmarks (issue 6), side by side in one run on test world 45
// (127.45.0.0/24, three hosts, Apache balancer from `delivery lb-config`):
//
//  1. zero downtime: requests and failures through the balancer during 10
//     deploys and 10 rollbacks under steady keep-alive load;
//  2. rollback time per host against deploy time per host (every deploy
//     pulls a new image; a rollback needs no pull);
//  3. action overhead: from starting the deploy action's bundle (and the
//     CLI's) to the first byte reaching a host, against a plain `ssh host true`.
//
//   node scripts/bench/deploys.mjs DIST OUT [--cycles N] [--keep-world]
//
// DIST is a folder with fresh bundles (cli/index.js, deploy/index.js), OUT
// the Markdown file written for BENCHMARKS.md.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const ID = 45;
const args = process.argv.slice(2);
const [DIST, OUT] = args.filter((a, i) => !a.startsWith('--') && !(args[i - 1] ?? '').startsWith('--cycles'));
if (!DIST || !OUT) {
  console.error('usage: deploys.mjs DIST OUT [--cycles N] [--keep-world]');
  process.exit(2);
}
const RUNS = 7;
const CYCLES = Number(args.includes('--cycles') ? args[args.indexOf('--cycles') + 1] : 10);
const DIR = path.join(ROOT, '.tmp', `bench-${ID}`);
const WORLD = path.join(ROOT, '.tmp', `world-${ID}`);
const LB = `127.${ID}.0.1:8080`;
const URL_ = `http://${LB}/web/`;
const say = (m) => console.error(`bench: ${m}`);
const sh = (cmd, a, o = {}) => execFileSync(cmd, a, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], ...o });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};
const f1 = (x) => x.toFixed(1);
const ms = (x) => `${Math.round(x)} ms`;

function worldEnv() {
  const env = {};
  for (const l of readFileSync(path.join(WORLD, 'world.env'), 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(l);
    if (m) env[m[1]] = m[2].replace(/^"|"$/g, '');
  }
  return env;
}

async function waitBody(want) {
  for (let i = 0; i < 150; i++) {
    try {
      const r = await fetch(URL_, { signal: AbortSignal.timeout(2000) });
      if ((await r.text()).trim() === want) return;
    } catch {
      /* not yet */
    }
    await sleep(200);
  }
  throw new Error(`the balancer never answered ${want}`);
}

// ---------------------------------------------------------------- set up
// Everything this run starts goes away on any exit, a failed run included.
process.on('exit', () => {
  if (!args.includes('--keep-world')) teardown();
});
say(`world ${ID} with 3 hosts`);
sh('bash', [path.join(ROOT, 'test/world/world.sh'), 'up', String(ID), '3']);
const W = worldEnv();
// An Apache left from an interrupted run must stop before its folder goes.
spawnSync('bash', [path.join(ROOT, 'scripts/bench/apache.sh'), 'stop', path.join(DIR, 'apache')], { stdio: 'inherit' });
rmSync(DIR, { recursive: true, force: true });
mkdirSync(DIR, { recursive: true });
const repo = W.TEST_IMAGE;
const dockerEnv = { ...process.env, DOCKER_CONFIG: W.REGISTRY_DOCKER_CONFIG };
const digestOf = (ref) =>
  sh('docker', ['image', 'inspect', '--format', '{{range .RepoDigests}}{{println .}}{{end}}', ref])
    .split('\n')
    .find((l) => l.startsWith(repo + '@sha256:'));

say(`building and pushing ${CYCLES} distinct images (each deploy pulls a new one)`);
writeFileSync(path.join(DIR, 'Dockerfile'), 'FROM delivery-test/app:v2\nARG REV\nRUN echo "r$REV" >/www/index.html\n');
const images = [];
for (let i = 1; i <= CYCLES + RUNS + 1; i++) {
  const ref = `${repo}:bench-r${i}`;
  sh('docker', ['build', '-q', '--build-arg', `REV=${i}`, '-t', ref, DIR]);
  sh('docker', ['push', '-q', ref], { env: dockerEnv });
  images.push(digestOf(ref));
}
const v1 = digestOf(`${repo}:v1`);
// The hosts share this machine's Docker engine: drop the local copies, so
// every deploy really pulls its image's new layer from the registry.
for (let i = 1; i <= CYCLES + RUNS + 1; i++) sh('docker', ['rmi', '-f', `${repo}:bench-r${i}`]);
// What one such pull costs here, for reading the deploy/rollback ratio.
const pullMs = [];
for (let i = CYCLES + RUNS - 2; i <= CYCLES + RUNS; i++) {
  const t = performance.now();
  sh('docker', ['pull', '-q', images[i]], { env: dockerEnv });
  pullMs.push(performance.now() - t);
  sh('docker', ['rmi', '-f', images[i]]);
}

const cluster = YAML.parse(readFileSync(W.CLUSTER_FILE, 'utf8'));
const h1 = cluster.hosts[0];
// h1 again, through the first-byte forwarder on port 2223
writeFileSync(path.join(DIR, 'one.yml'), YAML.stringify({ http_port: cluster.http_port, hosts: [{ ...h1, port: 2223 }] }));
const knownHosts = readFileSync(W.KNOWN_HOSTS, 'utf8');
const h1Key = knownHosts.split('\n').find((l) => l.startsWith(`[${h1.host}]:2222 `)).split(' ').slice(1).join(' ');
writeFileSync(path.join(DIR, 'known_hosts'), knownHosts + `[${h1.host}]:2223 ${h1Key}\n`);
writeFileSync(
  path.join(DIR, 'Deliveryfile'),
  YAML.stringify({
    version: 1.0,
    application: 'bench/web',
    router: 'haproxy',
    registry: W.REGISTRY,
    route: { service: 'web', port: 8080, path: '/web/', strip_prefix: true },
    health: { path: '/health', timeout: 30, stable: 1 },
    images: { web: repo },
    environments: {
      prod: { cluster: [W.CLUSTER_FILE], files: ['compose.yml'] },
      one: { cluster: ['one.yml'], files: ['compose.yml'] },
    },
  }),
);
writeFileSync(path.join(DIR, 'compose.yml'), `services:\n  web:\n    image: ${repo}:v1\n    init: true\n`);

const cliEnv = {
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  DELIVERY_FILE: path.join(DIR, 'Deliveryfile'),
  DELIVERY_SSH_KEY: readFileSync(W.SSH_KEY, 'utf8'),
  DELIVERY_KNOWN_HOSTS: readFileSync(path.join(DIR, 'known_hosts'), 'utf8'),
  DELIVERY_REGISTRY_USERNAME: W.REGISTRY_USER,
  DELIVERY_REGISTRY_PASSWORD: W.REGISTRY_PASSWORD,
};
const CLI = path.join(DIST, 'cli', 'index.js');

/** `delivery VERB --json` → the report, and the wall time. */
function delivery(verb, env, extra = []) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [CLI, verb, '--env', env, '--json', ...extra], { env: cliEnv, encoding: 'utf8', maxBuffer: 1 << 26 });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) {
    console.error(r.stderr);
    throw new Error(`delivery ${verb} exited ${r.status}`);
  }
  return { report: JSON.parse(r.stdout), wall };
}

const commands = [];
say('deploying v1 and starting the balancer');
delivery('deploy', 'prod', ['--images', `web=${v1}`]);
const lb = spawnSync(process.execPath, [CLI, 'lb-config', '--env', 'prod', '--format', 'apache'], { env: cliEnv, encoding: 'utf8' });
writeFileSync(path.join(DIR, 'lb.conf'), lb.stdout);
sh('bash', [path.join(ROOT, 'scripts/bench/apache.sh'), 'start', path.join(DIR, 'apache'), LB, path.join(DIR, 'lb.conf')]);
await waitBody('v1');

// ---------------------------------------------------------------- 1 + 2
say(`zero downtime: ${CYCLES} deploys and ${CYCLES} rollbacks under keep-alive load`);
const stopFile = path.join(DIR, 'load.stop');
const loadArgs = [path.join(ROOT, 'scripts/bench/load.mjs'), URL_, '--connections', '8', '--max-seconds', '900', '--stop-file', stopFile];
commands.push(`node scripts/bench/load.mjs ${URL_} --connections 8 --stop-file …   # steady keep-alive load, no pause`);
const load = spawn(process.execPath, loadArgs, { stdio: ['ignore', 'pipe', 'inherit'] });
let loadOut = '';
load.stdout.on('data', (c) => (loadOut += c));
const loadDone = new Promise((r) => load.on('exit', r));
// a failed deploy throws: the load must not outlive this run
process.on('exit', () => load.kill());
await sleep(1000);
const deploySecs = [];
const rollbackSecs = [];
const deployWall = [];
const rollbackWall = [];
const t0 = performance.now();
for (let i = 0; i < CYCLES; i++) {
  const d = delivery('deploy', 'prod', ['--images', `web=${images[i]}`]);
  deployWall.push(d.wall);
  for (const h of d.report.hosts) deploySecs.push(h.seconds);
  const r = delivery('rollback', 'prod');
  rollbackWall.push(r.wall);
  for (const h of r.report.hosts) rollbackSecs.push(h.seconds);
  say(`  cycle ${i + 1}: deploy ${f1(d.wall)} s, rollback ${f1(r.wall)} s`);
}
const cycleSeconds = (performance.now() - t0) / 1000;
await sleep(1000);
writeFileSync(stopFile, '');
await loadDone;
const loadResult = JSON.parse(loadOut);
commands.push(`delivery deploy --env prod --json --images web=REPO@sha256:…   # ${CYCLES}×, each a new image`);
commands.push(`delivery rollback --env prod --json                          # after each deploy`);

// ---------------------------------------------------------------- 3
say('action overhead: start → first byte at the host, against ssh host true');
const fbFile = path.join(DIR, 'first-byte.log');
const fwd = spawn(process.execPath, [path.join(ROOT, 'scripts/bench/first-byte.mjs'), `${h1.host}:2223`, `${h1.host}:2222`, fbFile], { stdio: 'ignore' });
process.on('exit', () => fwd.kill());
await sleep(500);
const lastFirstByte = () => {
  const lines = readFileSync(fbFile, 'utf8').trim().split('\n').filter(Boolean);
  return lines.length ? Number(lines[lines.length - 1].split(' ')[0]) : NaN;
};
const sshTotal = [];
const sshFirst = [];
for (let i = 0; i < RUNS; i++) {
  const start = Date.now();
  spawnSync('ssh', ['-p', '2223', '-i', W.SSH_KEY, '-o', `UserKnownHostsFile=${path.join(DIR, 'known_hosts')}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', `${W.DEPLOY_USER}@${h1.host}`, 'true'], { stdio: 'ignore' });
  sshTotal.push(Date.now() - start);
  sshFirst.push(lastFirstByte() - start);
}
commands.push(`ssh -p 2223 -i client_key -o BatchMode=yes delivery-deploy@${h1.host} true   # ${RUNS}×, through the first-byte forwarder`);

const actionEnv = (image) => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  INPUT_ENVIRONMENT: 'one',
  INPUT_DELIVERYFILE: path.join(DIR, 'Deliveryfile'),
  'INPUT_SSH-KEY': cliEnv.DELIVERY_SSH_KEY,
  'INPUT_KNOWN-HOSTS': cliEnv.DELIVERY_KNOWN_HOSTS,
  INPUT_IMAGES: `web=${image}`,
  'INPUT_REGISTRY-USERNAME': W.REGISTRY_USER,
  'INPUT_REGISTRY-PASSWORD': W.REGISTRY_PASSWORD,
  GITHUB_OUTPUT: path.join(DIR, 'github-output'),
  GITHUB_STEP_SUMMARY: path.join(DIR, 'github-summary'),
  RUNNER_TEMP: DIR,
});
const measure = (argv, env) => {
  const start = Date.now();
  const r = spawnSync(process.execPath, argv, { env, encoding: 'utf8', maxBuffer: 1 << 26 });
  const total = Date.now() - start;
  if (r.status !== 0) {
    console.error(r.stdout, r.stderr);
    throw new Error(`${argv.join(' ')} exited ${r.status}`);
  }
  return { first: lastFirstByte() - start, total };
};
// Baseline: starting node itself, on this machine right now.
const nodeStart = [];
for (let i = 0; i < RUNS; i++) {
  const t = Date.now();
  spawnSync(process.execPath, ['-e', ''], { stdio: 'ignore' });
  nodeStart.push(Date.now() - t);
}
const actionFirst = [];
const actionTotal = [];
const cliFirst = [];
const cliTotal = [];
const ACTION = path.join(DIST, 'deploy', 'index.js');
for (let i = 0; i < RUNS; i++) {
  writeFileSync(path.join(DIR, 'github-output'), '');
  writeFileSync(path.join(DIR, 'github-summary'), '');
  const a = measure([ACTION], actionEnv(images[CYCLES + i]));
  actionFirst.push(a.first);
  actionTotal.push(a.total);
  const c = measure([CLI, 'deploy', '--env', 'one', '--images', `web=${images[CYCLES + (i % 2)]}`], cliEnv);
  cliFirst.push(c.first);
  cliTotal.push(c.total);
}
fwd.kill();
commands.push(`node dist/deploy/index.js   # ${RUNS}×, INPUT_* as the runner sets them, to h1 through the forwarder`);
commands.push(`node dist/cli/index.js deploy --env one …   # ${RUNS}×, the same through the CLI`);

// ---------------------------------------------------------------- where the time goes
// The hosts' own run logs (JSON events with millisecond times) of h2 and h3,
// which only ran the cycles above (h1 also ran the overhead runs).
const phases = { deploy: [], rollback: [] };
for (const h of ['h2', 'h3']) {
  const runs = path.join(WORLD, h, 'root/var/lib/rollout/bench/web/runs');
  if (!existsSync(runs)) continue;
  const logs = readdirSync(runs).filter((f) => f.endsWith('.log')).sort();
  for (const f of logs.slice(1)) {
    const verb = /-(deploy|rollback)-/.exec(f)?.[1];
    if (!verb) continue;
    const ev = readFileSync(path.join(runs, f), 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    const at = (ph) => {
      const e = ev.find((x) => x.phase === ph);
      return e ? Date.parse(e.time) : NaN;
    };
    const result = ev.find((x) => x.event === 'result');
    if (!result?.ok) continue;
    const end = Date.parse(result.time);
    phases[verb].push({
      pull: verb === 'deploy' ? at('pulled') - at('pulling') : 0,
      start: at('healthy') - at('starting'),
      switch: end - at('switching'),
      total: end - Date.parse(ev[0].time),
    });
  }
}
const phaseRow = (verb, k) => {
  const xs = phases[verb].map((p) => p[k]).filter((x) => Number.isFinite(x));
  return xs.length ? `${f1(median(xs) / 1000)} s` : '–';
};

// ---------------------------------------------------------------- report
const rbRatio = median(rollbackSecs) / median(deploySecs);
const overhead = median(actionFirst);
const md = `## Zero downtime, rollback vs deploy, action overhead (issue 6)

Test world ${ID}: three hosts (sshd + HAProxy router each) and a registry on
loopback, an Apache balancer configured by \`delivery lb-config\` in front,
every host on the same 2-core machine as the load generator.

Commands (from \`scripts/bench/deploys.mjs\`, run by \`npm run bench\`):

\`\`\`
${commands.join('\n')}
\`\`\`

### Zero downtime through the balancer

| what | value |
| --- | --- |
| deploys + rollbacks | ${CYCLES} + ${CYCLES}, all hosts each time, in ${f1(cycleSeconds)} s |
| requests | ${loadResult.requests} (${loadResult.rps} req/s on 8 keep-alive connections) |
| failed requests | **${loadResult.failures}** (target 0) |
| statuses | ${JSON.stringify(loadResult.statuses)} |
| errors | ${JSON.stringify(loadResult.errors)} |

### Rollback time per host against deploy time per host

Every deploy pulls a new image (a distinct digest); a rollback starts the
kept release, whose image is still on the host.

| per host (client-measured, ${deploySecs.length} samples each) | median | min | max |
| --- | --- | --- | --- |
| deploy | ${f1(median(deploySecs))} s | ${f1(Math.min(...deploySecs))} s | ${f1(Math.max(...deploySecs))} s |
| rollback | ${f1(median(rollbackSecs))} s | ${f1(Math.min(...rollbackSecs))} s | ${f1(Math.max(...rollbackSecs))} s |
| **rollback / deploy** | **${rbRatio.toFixed(2)}** (target ≤ 0.5) | | |
| whole fleet run, deploy / rollback (wall, median) | ${f1(median(deployWall))} s / ${f1(median(rollbackWall))} s | | |

On the hosts (rollout's own event times on h2 and h3, median per run; the
rest of the client-measured time is SSH, preflight and the upload):

| phase | deploy | rollback |
| --- | --- | --- |
| pull (pulling → pulled) | ${phaseRow('deploy', 'pull')} | – |
| start the new color until healthy | ${phaseRow('deploy', 'start')} | ${phaseRow('rollback', 'start')} |
| switch the router, drain, stop the old color | ${phaseRow('deploy', 'switch')} | ${phaseRow('rollback', 'switch')} |
| whole switch on the host | ${phaseRow('deploy', 'total')} | ${phaseRow('rollback', 'total')} |

One pull of such an image (a new ~100-byte layer over the shared busybox
base) from the loopback registry takes ${ms(median(pullMs))} here (\`docker pull\`, median
of 3): the pull that a rollback saves is small on this machine, so the ratio
mostly compares two blue/green switches (start, health, drain
\`DRAIN_SECONDS=1\`, stop), which both verbs do alike. Over a real network
with a real image the pull dominates a deploy and the ratio drops.

### Action overhead: start → first byte at a host

A TCP forwarder (\`scripts/bench/first-byte.mjs\`) in front of h1's sshd notes
when the first byte of a connection arrives. ${RUNS} runs each, interleaved.
On a shared machine these figures move with its load; the minimum is the least disturbed one.

| client | start → first byte at the host (median / min) | start → done (median) |
| --- | --- | --- |
| \`ssh host true\` (OpenSSH) | ${ms(median(sshFirst))} / ${ms(Math.min(...sshFirst))} | ${ms(median(sshTotal))} |
| deploy action bundle (\`dist/deploy/index.js\`) | **${ms(overhead)}** / ${ms(Math.min(...actionFirst))} | ${ms(median(actionTotal))} (a full blue/green deploy) |
| CLI bundle (\`dist/cli/index.js deploy\`) | ${ms(median(cliFirst))} / ${ms(Math.min(...cliFirst))} | ${ms(median(cliTotal))} (a full blue/green deploy) |
| for scale: \`node -e ''\` (start and exit) | – | ${ms(median(nodeStart))} / ${ms(Math.min(...nodeStart))} |

The action's first byte reaches the host ${ms(overhead - median(sshFirst))} after OpenSSH's would
(node start, bundle load, Deliveryfile, cluster, bundle built in memory);
a whole \`ssh host true\` takes ${ms(median(sshTotal))}. Target: under 1 s on top of that:
${overhead < 1000 ? 'met' : '**not met**'}.
`;
writeFileSync(OUT, md);
console.log(md);

function teardown() {
  if (typeof repo === 'undefined') return; // failed before the world was described
  spawnSync('bash', [path.join(ROOT, 'scripts/bench/apache.sh'), 'stop', path.join(DIR, 'apache')], { stdio: 'inherit' });
  spawnSync('bash', [path.join(ROOT, 'test/world/world.sh'), 'down', String(ID)], { stdio: 'inherit' });
  // images the hosts pulled by digest (untagged) from this world's registry
  for (const l of spawnSync('docker', ['images', '--format', '{{.Repository}} {{.ID}}'], { encoding: 'utf8' }).stdout.split('\n')) {
    const [r, id] = l.split(' ');
    if (r && r.startsWith(`127.${ID}.0.1:5000/`)) spawnSync('docker', ['rmi', '-f', id], { stdio: 'ignore' });
  }
}
if (existsSync(stopFile)) rmSync(stopFile);
