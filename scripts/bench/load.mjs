#!/usr/bin/env node
// A bounded request loop with keep-alive connections, for the demo, the
// end-to-end tests and the benchmarks. Loopback only.
//
//   node scripts/bench/load.mjs URL [--connections N] [--pause MS] [--max-seconds S] [--stop-file PATH] [--ready-file PATH]
//
// N loops (default 4), each on its own keep-alive connection, send GET URL
// one after another (pausing MS between requests, default 0) until SIGTERM or
// SIGINT, until PATH exists (checked every 100 ms), or after S seconds
// (default 300: it always stops by itself). Then it prints one JSON line:
//   {"requests":N,"ok":N,"failures":N,"statuses":{"200":N,…},"errors":{"ECONNRESET":N,…},
//    "bodies":{"v1":N,…},"seconds":S,"rps":R}
// A failure is an error, a non-2xx answer, or no complete answer within 5 s.
import http from 'node:http';
import { existsSync, writeFileSync } from 'node:fs';

const args = process.argv.slice(2);
const url = new URL(args.find((a) => !a.startsWith('--')) ?? '');
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const connections = Number(opt('connections', '4'));
const pause = Number(opt('pause', '0'));
const maxSeconds = Number(opt('max-seconds', '300'));
const stopFile = opt('stop-file', null);
const readyFile = opt('ready-file', null);
if (!['127.', 'localhost'].some((p) => url.hostname.startsWith(p))) {
  console.error('load.mjs: loopback addresses only');
  process.exit(2);
}

const stats = { requests: 0, ok: 0, failures: 0, statuses: {}, errors: {}, bodies: {} };
const bump = (o, k) => (o[k] = (o[k] ?? 0) + 1);
let stopping = false;
const started = process.hrtime.bigint();

function once(agent) {
  return new Promise((resolve) => {
    // the whole answer within 5 s, or the request counts as failed
    const deadline = setTimeout(() => req.destroy(Object.assign(new Error('no answer within 5 s'), { code: 'ETIMEDOUT' })), 5000);
    const done = () => {
      clearTimeout(deadline);
      resolve();
    };
    const req = http.get(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => {
        stats.requests++;
        bump(stats.statuses, String(res.statusCode));
        bump(stats.bodies, body.trim().slice(0, 40));
        if (res.statusCode >= 200 && res.statusCode < 300) stats.ok++;
        else stats.failures++;
        done();
      });
      res.on('error', (e) => fail(e, done));
    });
    req.on('error', (e) => fail(e, done));
  });
}
function fail(e, resolve) {
  stats.requests++;
  stats.failures++;
  bump(stats.errors, e.code ?? e.message);
  resolve();
}

async function loop() {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  while (!stopping) {
    await once(agent);
    if (pause > 0) await new Promise((r) => setTimeout(r, pause));
  }
  agent.destroy();
}

function stop() {
  stopping = true;
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
const timer = setTimeout(stop, maxSeconds * 1000);
const poll = setInterval(() => {
  if (stopFile && existsSync(stopFile)) stop();
}, 100);
if (readyFile) writeFileSync(readyFile, String(process.pid));

await Promise.all(Array.from({ length: connections }, loop));
clearTimeout(timer);
clearInterval(poll);
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
console.log(JSON.stringify({ ...stats, seconds: Math.round(seconds * 10) / 10, rps: Math.round(stats.requests / seconds) }));
