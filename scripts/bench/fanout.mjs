#!/usr/bin/env node
// Fan-out benchmark (issue 4): the same bundle to the same hosts of a test
// world, three ways, at 1, 5 and 20 hosts, once with --dry-run (transfer and
// checks) and once with full blue/green switches:
//
//   seq      the seed's loop: for h in hosts; do ssh h rollout deploy … < bundle; done
//   xargs    the same with OpenSSH in parallel: xargs -P N
//   delivery `delivery deploy` (this repository's CLI, ssh2, one process)
//
// Client wall time, CPU time (user+sys, children included) and peak RSS of
// the largest client process, from GNU time. Writes a Markdown table to OUT
// (default .tmp/bench/fanout.md) for the bench runner to append to
// BENCHMARKS.md, and prints it.
//
//   node scripts/bench/fanout.mjs [OUT] [--hosts 1,5,20] [--full-hosts LIST] [--pairs N] [--keep-world]
//
// --full-hosts: the counts for the full switches (default: --hosts); the
// sequential loop runs only up to 20 hosts; at the largest dry-run count
// xargs and delivery run --pairs times (default 3) side by side, and the
// median of the pair ratios is the figure. OUT.json holds the rows.
//
// World ID 29 (127.29.0.0/24). Root, Docker and the test world's tools needed.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const ID = 29;
const args = process.argv.slice(2);
const flag = (name) => {
  const i = args.indexOf(name);
  if (i < 0) return null;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const keepWorld = args.includes('--keep-world');
if (keepWorld) args.splice(args.indexOf('--keep-world'), 1);
const COUNTS = (flag('--hosts') ?? '1,5,20').split(',').map(Number);
const FULL = (flag('--full-hosts') ?? COUNTS.join(',')).split(',').filter(Boolean).map(Number);
const PAIRS = Number(flag('--pairs') ?? 3);
const OUT = path.resolve(args[0] ?? path.join(ROOT, '.tmp', 'bench', 'fanout.md'));
const WORK = path.join(ROOT, '.tmp', 'bench-fanout');
const say = (m) => process.stderr.write(`fanout: ${m}\n`);

if (!existsSync('/usr/bin/time')) {
  say('GNU time is missing: apt-get install -y time');
  process.exit(2);
}

function sh(cmd, argv, opts = {}) {
  return execFileSync(cmd, argv, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
}

// 1. The world, with as many hosts as the largest count.
const maxHosts = Math.max(...COUNTS, ...FULL);
const maxDry = Math.max(...COUNTS);
say(`world ${ID} with ${maxHosts} hosts`);
sh('bash', ['test/world/world.sh', 'up', String(ID), String(maxHosts)], { stdio: ['ignore', 'ignore', 'inherit'] });
const wenv = Object.fromEntries(
  readFileSync(path.join(ROOT, '.tmp', `world-${ID}`, 'world.env'), 'utf8')
    .split('\n')
    .map((l) => /^([A-Z0-9_]+)=(.*)$/.exec(l))
    .filter(Boolean)
    .map((m) => [m[1], m[2].replace(/^"(.*)"$/, '$1')]),
);
const hosts = wenv.HOSTS.split(' ').map((n) => ({
  name: n,
  addr: wenv[`${n.toUpperCase()}_ADDR`],
  port: Number(wenv[`${n.toUpperCase()}_SSH_PORT`]),
}));
process.on('exit', () => teardown());
// 20 hosts starting containers at once on 2 cores take longer than the test
// world's 30 s health cap: give every method the same 180 s.
for (const n of wenv.HOSTS.split(' ')) {
  const cfg = wenv[`${n.toUpperCase()}_CONFIG`];
  writeFileSync(cfg, readFileSync(cfg, 'utf8').replace(/^HEALTH_TIMEOUT=.*$/m, 'HEALTH_TIMEOUT=180'));
}

// 2. This repository's CLI, compiled from the sources (so it is never stale).
rmSync(WORK, { recursive: true, force: true });
mkdirSync(WORK, { recursive: true });
say('compiling the CLI');
const TSC = path.join(WORK, 'tsc');
spawnSync(
  'npx',
  ['tsc', '--outDir', TSC, '--rootDir', ROOT, '--module', 'node16', '--moduleResolution', 'node16', '--target', 'es2022', '--esModuleInterop', '--skipLibCheck', '--resolveJsonModule', 'src/cli/index.ts'],
  { cwd: ROOT, stdio: 'ignore' },
);
const CLI = path.join(TSC, 'src', 'cli', 'index.js');
if (!existsSync(CLI)) {
  say('tsc produced no src/cli/index.js');
  process.exit(1);
}

// 3. The app: one service, the test image, routed by HAProxy.
const app = path.join(WORK, 'app');
mkdirSync(app, { recursive: true });
// network_mode: bridge: 20 hosts × two colors of compose projects would each
// create a network, and the one shared Docker engine runs out of address pools.
writeFileSync(path.join(app, 'docker-compose.yml'), `services:\n  web:\n    image: ${wenv.TEST_IMAGE}:v1\n    init: true\n    network_mode: bridge\n`);
const envs = COUNTS.map((n) => {
  const file = `cluster-${n}.yml`;
  writeFileSync(
    path.join(app, file),
    `hosts:\n${hosts
      .slice(0, n)
      .map((h) => `  - { host: ${h.addr}, port: ${h.port}, user: ${wenv.DEPLOY_USER}, name: ${h.name} }`)
      .join('\n')}\n`,
  );
  return `  n${n}:\n    cluster: [./${file}]\n    files: [docker-compose.yml]\n`;
});
writeFileSync(
  path.join(app, 'Deliveryfile'),
  `version: 1.0
application: bench/fanout
deployment: { mode: parallel, concurrency: ${maxHosts} }
router: haproxy
registry: ${wenv.REGISTRY}
route: { service: web, port: 8080, path: /fanout/, strip_prefix: true }
health: { timeout: 180, stable: 1 }
environments:
${envs.join('')}`,
);
const cliEnv = {
  PATH: process.env.PATH,
  HOME: WORK,
  DELIVERY_SSH_KEY: readFileSync(wenv.SSH_KEY, 'utf8'),
  DELIVERY_KNOWN_HOSTS: readFileSync(wenv.KNOWN_HOSTS, 'utf8'),
  DELIVERY_REGISTRY_USERNAME: wenv.REGISTRY_USER,
  DELIVERY_REGISTRY_PASSWORD: wenv.REGISTRY_PASSWORD,
  DELIVERY_FILE: path.join(app, 'Deliveryfile'),
};

// The bundle the OpenSSH loops send: made by the same loadPlan as delivery's.
function bundleFor(n, release) {
  const out = path.join(WORK, `${release}.tgz`);
  const js = `
    const { loadPlan } = require(${JSON.stringify(path.join(TSC, 'src', 'adapters', 'load-plan.js'))});
    const quiet = { info() {}, warn() {}, error() {}, debug() {}, group: (t, f) => f(), secret() {} };
    loadPlan({ file: process.env.DELIVERY_FILE, env: 'n${n}', logger: quiet, release: ${JSON.stringify(release)},
      registryUsername: process.env.DELIVERY_REGISTRY_USERNAME, registryPassword: process.env.DELIVERY_REGISTRY_PASSWORD })
      .then((p) => require('fs').writeFileSync(${JSON.stringify(out)}, p.bundle.bytes, { mode: 0o600 }));`;
  sh('node', ['-e', js], { env: cliEnv });
  return out;
}

/** Runs argv under GNU time; returns wall, cpu (s) and peak RSS (MB) of the largest process. */
function timed(label, argv, env) {
  const tf = path.join(WORK, 'time.txt');
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', '-o', tf, ...argv], { env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) say(`${label} exited ${r.status}:\n${(r.stderr ?? '').split('\n').filter((l) => /error|failed|refused/i.test(l)).slice(-5).join('\n')}`);
  const [wall, user, sys, rssKb] = readFileSync(tf, 'utf8').trim().split('\n').pop().split(' ').map(Number);
  return { wall, cpu: user + sys, rss: rssKb / 1024, stdout: r.stdout ?? '' };
}

const SSH = (key, kh) => `ssh -q -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=${kh} -i ${key}`;
const results = [];
let seq = 0;
for (const dry of [true, false]) {
  for (const n of dry ? COUNTS : FULL) {
    const targets = hosts.slice(0, n);
    const dryFlag = dry ? ' --dry-run' : '';
    const lines = targets.map((h) => `${h.addr} ${h.port}`).join('\n');
    writeFileSync(path.join(WORK, `targets-${n}.txt`), lines + '\n');
    const row = { n, mode: dry ? 'dry-run' : 'full' };
    const reps = dry && n === maxDry ? PAIRS : 1;
    const methods = [...(n <= 20 ? ['seq'] : []), ...Array.from({ length: reps }, () => ['xargs', 'delivery']).flat()];
    row.pairs = [];
    for (const method of methods) {
      const release = `b${Date.now().toString(36)}-${++seq}`;
      say(`${row.mode} ${n} host(s): ${method} (${release})`);
      let m;
      if (method === 'delivery') {
        m = timed(method, ['node', CLI, 'deploy', '--json', '--env', `n${n}`, '--release', release, ...(dry ? ['--dry-run'] : [])], cliEnv);
        try {
          m.ok = JSON.parse(m.stdout).hosts.filter((h) => h.result === (dry ? 'ok' : 'switched')).length;
        } catch {
          m.ok = 0;
        }
      } else {
        const bundle = bundleFor(n, release);
        const okFile = path.join(WORK, `${release}.ok`);
        writeFileSync(okFile, '');
        const one = `${SSH(wenv.SSH_KEY, wenv.KNOWN_HOSTS)} -p "$2" ${wenv.DEPLOY_USER}@"$1" rollout deploy bench/fanout --release ${release}${dryFlag} < ${bundle} >/dev/null 2>&1 && echo "$1" >> ${okFile}`;
        const script =
          method === 'seq'
            ? `while read -r a p; do set -- "$a" "$p"; ${one}; done < ${path.join(WORK, `targets-${n}.txt`)}`
            : `xargs -P ${n} -L 1 sh -c '${one.replace(/'/g, `'\\''`)}' _ < ${path.join(WORK, `targets-${n}.txt`)}`;
        m = timed(method, ['bash', '-c', script], { PATH: process.env.PATH });
        m.ok = readFileSync(okFile, 'utf8').split('\n').filter(Boolean).length;
      }
      if (m.ok !== n) say(`${method}: only ${m.ok} of ${n} hosts succeeded`);
      if (method === 'delivery') row.pairs.push(m.wall / row.xargs.wall);
      if (method === 'delivery' && row.delivery) {
        // the figures of the pair with the median ratio; the peak RSS the largest
        m.rss = Math.max(m.rss, row.delivery.rss);
      }
      row[method] = m;
    }
    results.push(row);
  }
}

// 4. The table.
const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : '–');
const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : '–');
const NA = { wall: NaN, cpu: NaN, rss: NaN, ok: '–' };
const med = (xs) => {
  const v = [...xs].sort((a, b) => a - b);
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};
for (const r of results) {
  r.seq ??= NA;
  r.ratio = med(r.pairs);
}
const out = [
  `### Fan-out: one bundle to N hosts (\`node scripts/bench/fanout.mjs\`)`,
  '',
  `${os.cpus().length} cores, ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; ${new Date().toISOString().slice(0, 16)}Z.`,
  'Hosts are sshd + rollout + HAProxy on 127.29.0.x of this one machine, sharing its cores and its Docker engine:',
  'loopback has no network latency, and the hosts\' own work (sshd, rollout, docker compose) is CPU-bound on the',
  'same cores as the client, so no method can scale past the core count here. Client CPU includes child processes',
  '(every `ssh` for the OpenSSH loops); peak RSS is the largest single client process (xargs runs N `ssh` at once).',
  '',
  '| mode | hosts | seq wall s | xargs wall s | delivery wall s | delivery / xargs | seq / delivery | CPU s seq / xargs / delivery | peak RSS MB seq / xargs / delivery | hosts ok seq / xargs / delivery |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |',
  ...results.map(
    (r) =>
      `| ${r.mode} | ${r.n} | ${f1(r.seq.wall)} | ${f1(r.xargs.wall)} | ${f1(r.delivery.wall)} | ${f2(r.ratio)}${r.pairs.length > 1 ? ` (median of ${r.pairs.length} pairs)` : ''} | ${f2(r.seq.wall / r.delivery.wall)} | ${f1(r.seq.cpu)} / ${f1(r.xargs.cpu)} / ${f1(r.delivery.cpu)} | ${f1(r.seq.rss)} / ${f1(r.xargs.rss)} / ${f1(r.delivery.rss)} | ${r.seq.ok} / ${r.xargs.ok} / ${r.delivery.ok} |`,
  ),
  '',
];
const big = results.filter((r) => r.n === (r.mode === 'full' ? Math.max(...FULL) : maxDry));
for (const r of big) {
  out.push(
    `Targets at ${r.n} hosts, ${r.mode}: delivery within 1.2 × xargs wall: ${r.ratio <= 1.2 ? 'yes' : 'NO'} (${f2(r.ratio)} ×)` +
      (r.mode === 'full' && Number.isFinite(r.seq.wall) ? `; at least 4 × faster than the sequential loop: ${r.seq.wall >= 4 * r.delivery.wall ? 'yes' : 'NO'} (${f2(r.seq.wall / r.delivery.wall)} ×)` : '') +
      `; client peak RSS under 150 MB: ${r.delivery.rss < 150 ? 'yes' : 'NO'} (${f1(r.delivery.rss)} MB).`,
  );
}
out.push('');
mkdirSync(path.dirname(OUT), { recursive: true });
writeFileSync(OUT, out.join('\n'));
writeFileSync(OUT.replace(/\.md$/, '') + '.json', JSON.stringify({ results: results.map(({ seq, xargs, delivery, ...r }) => ({ ...r, seq: { ...seq, stdout: undefined }, xargs: { ...xargs, stdout: undefined }, delivery: { ...delivery, stdout: undefined } })) }, null, 1));
process.stdout.write(out.join('\n') + '\n');

function teardown() {
  if (keepWorld) return;
  say(`world ${ID} down`);
  sh('bash', ['test/world/world.sh', 'down', String(ID)], { stdio: ['ignore', 'ignore', 'inherit'] });
  // The world's teardown may leave app containers behind: remove this world's (w29hN-…).
  const mine = (list) => list.split('\n').filter((x) => /^w29h[0-9]+-/.test(x));
  const cs = mine(sh('docker', ['ps', '-a', '--format', '{{.Names}}']));
  if (cs.length) sh('docker', ['rm', '-f', ...cs]);
  const ns = mine(sh('docker', ['network', 'ls', '--format', '{{.Name}}']));
  if (ns.length) sh('docker', ['network', 'rm', ...ns]);
}
