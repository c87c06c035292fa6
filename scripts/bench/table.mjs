#!/usr/bin/env node
// The six rows of issue 13 in one table, from the JSON that
// scripts/bench/targets.mjs (rows 1–4), scripts/bench/scale.mjs (row 5) and
// scripts/bench/fanout.mjs (row 6) wrote in this run:
//
//   node scripts/bench/table.mjs TARGETS.json [FANOUT.json] [SCALE.json]
import { existsSync, readFileSync } from 'node:fs';

const [targetsFile, fanoutFile, scaleFile] = process.argv.slice(2);
const rows = (existsSync(targetsFile ?? '') ? JSON.parse(readFileSync(targetsFile, 'utf8')).rows : []).filter((r) => r.n !== 5);
if (scaleFile && existsSync(scaleFile)) rows.push(JSON.parse(readFileSync(scaleFile, 'utf8')).row);
else rows.push({ n: 5, what: '60 apps + 10 previews on one host', fmt: 'not run in this run', target: '≤ 1.2 ×', met: null });
const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : '–');
if (fanoutFile && existsSync(fanoutFile)) {
  const res = JSON.parse(readFileSync(fanoutFile, 'utf8')).results;
  const dry = res.filter((r) => r.mode === 'dry-run').sort((a, b) => b.n - a.n)[0];
  const full = res.filter((r) => r.mode === 'full').sort((a, b) => b.n - a.n)[0];
  if (dry) {
    rows.push({
      n: 6,
      what: `dry-run fan-out to ${dry.n} hosts (sshd each, loopback) against OpenSSH with xargs -P; client peak RSS${full ? `; full deploy at ${full.n} hosts` : ''}`,
      fmt: `${f2(dry.ratio)} ×, ${dry.delivery.rss.toFixed(0)} MB${full ? `; full ${f2(full.ratio)} × (${full.delivery.wall.toFixed(1)} s vs ${full.xargs.wall.toFixed(1)} s)` : ''}`,
      target: '≤ 1.2 ×, ≤ 150 MB',
      met: dry.n >= 100 && dry.ratio <= 1.2 && dry.delivery.rss <= 150 && dry.delivery.ok === dry.n,
    });
  }
} else {
  rows.push({ n: 6, what: 'dry-run fan-out to 100 hosts against OpenSSH with xargs -P', fmt: 'not run in this run (see the fan-out section)', target: '≤ 1.2 ×, ≤ 150 MB', met: null });
}
const mark = (m) => (m === true ? 'met' : m === false ? '**not met**' : 'skipped');
console.log(`## Issue 13 targets (ratios of pairs measured side by side in this run)

| # | what | measured | target | |
| --- | --- | --- | --- | --- |
${rows.map((r) => `| ${r.n} | ${r.what} | ${r.fmt} | ${r.target} | ${mark(r.met)} |`).join('\n')}
`);
