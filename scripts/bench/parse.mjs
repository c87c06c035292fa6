// Parse time of big Deliveryfiles and compose files, side by side in one run:
// `delivery plan` (the bundle in DIST) on maps of N and 2N keys, and the yaml
// library's own duplicate-key check (uniqueKeys: true, which delivery does
// not use) on the same sizes. A ratio near 2 when N doubles is linear time;
// near 4 is quadratic. Figures, not a test.
//
//   node scripts/bench/parse.mjs DIST OUT.md
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';

const [dist, out] = process.argv.slice(2);
if (!dist || !out) {
  console.error('usage: node scripts/bench/parse.mjs DIST OUT.md');
  process.exit(2);
}
const require = createRequire(import.meta.url);
const { parseDocument } = require('yaml');
const cli = path.resolve(dist, 'cli/index.js');
const dir = mkdtempSync(path.join(tmpdir(), 'bench-parse-'));

const DF = 'application: bench/app\nenvironments:\n  qa:\n    cluster: [{hosts: [127.0.0.1]}]\n    files: [compose.yml]\n';
const composeOf = (n) => {
  let t = 'services:\n  web:\n    image: nginx:1\n    environment:\n';
  for (let i = 0; i < n; i++) t += `      V${i}: "1"\n`;
  return t;
};

/** Best of 3 wall seconds of `delivery plan` on a compose map of n keys. */
function plan(n) {
  writeFileSync(path.join(dir, 'Deliveryfile'), DF);
  writeFileSync(path.join(dir, 'compose.yml'), composeOf(n));
  let best = Infinity;
  for (let r = 0; r < 3; r++) {
    const t = process.hrtime.bigint();
    const p = spawnSync(process.execPath, [cli, 'plan', '--env', 'qa'], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH } });
    if (p.status !== 0) throw new Error(`plan failed: ${p.stderr}`);
    best = Math.min(best, Number(process.hrtime.bigint() - t) / 1e9);
  }
  return best;
}

/** Best of 3 seconds of the yaml library's parse with its own duplicate-key check. */
function library(n) {
  const text = composeOf(n);
  let best = Infinity;
  for (let r = 0; r < 3; r++) {
    const t = process.hrtime.bigint();
    parseDocument(text, { uniqueKeys: true });
    best = Math.min(best, Number(process.hrtime.bigint() - t) / 1e9);
  }
  return best;
}

const rows = [];
try {
  for (const n of [10_000, 20_000, 40_000]) {
    rows.push({ n, plan: plan(n), lib: n <= 20_000 ? library(n) : null });
    console.error(`bench parse: ${n} keys done`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const f = (s) => (s === null ? '—' : `${s.toFixed(2)} s`);
const ratio = (a, b) => (a === null || b === null ? '—' : (a / b).toFixed(1));
const lines = [
  '## Parse time (hostile inputs)',
  '',
  'A compose file with one map of N keys: `delivery plan` end to end (node start included), and the yaml',
  "library's own duplicate-key check (`uniqueKeys: true`, not used) on the same text. Best of 3.",
  '',
  '| keys | delivery plan | ×, N doubled | yaml uniqueKeys: true | ×, N doubled |',
  '| --- | --- | --- | --- | --- |',
];
rows.forEach((r, i) => {
  const prev = rows[i - 1];
  lines.push(`| ${r.n} | ${f(r.plan)} | ${prev ? ratio(r.plan, prev.plan) : ''} | ${f(r.lib)} | ${prev ? ratio(r.lib, prev.lib) : ''} |`);
});
lines.push('', 'Command: `node scripts/bench/parse.mjs DIST OUT.md`.', '');
writeFileSync(out, lines.join('\n'));
console.error(`bench parse: wrote ${out}`);
