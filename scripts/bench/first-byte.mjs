#!/usr/bin/env node
// A TCP forwarder that notes when the first byte from a client reaches it:
// put in front of a host's sshd, it tells when a deploy's first byte reached
// that host. Loopback only.
//
//   node scripts/bench/first-byte.mjs LISTEN_ADDR:PORT TARGET_ADDR:PORT OUT_FILE
//
// For every connection it appends one line to OUT_FILE:
//   <epoch ms, fractional> <connection number>
// at the moment the first byte from the client arrives. Stops on SIGTERM.
import net from 'node:net';
import { appendFileSync, writeFileSync } from 'node:fs';

const [listen, target, out] = process.argv.slice(2);
if (!listen || !target || !out) {
  console.error('usage: first-byte.mjs LISTEN_ADDR:PORT TARGET_ADDR:PORT OUT_FILE');
  process.exit(2);
}
const split = (s) => {
  const i = s.lastIndexOf(':');
  return [s.slice(0, i), Number(s.slice(i + 1))];
};
const [lhost, lport] = split(listen);
const [thost, tport] = split(target);
if (!lhost.startsWith('127.') || !thost.startsWith('127.')) {
  console.error('first-byte.mjs: loopback addresses only');
  process.exit(2);
}
const t0 = Date.now() - performance.now();
let n = 0;
writeFileSync(out, '');
const server = net.createServer((client) => {
  const id = ++n;
  const upstream = net.connect(tport, thost);
  client.once('data', () => appendFileSync(out, `${(t0 + performance.now()).toFixed(1)} ${id}\n`));
  client.pipe(upstream).pipe(client);
  const close = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', close);
  upstream.on('error', close);
  client.on('close', close);
  upstream.on('close', close);
});
server.listen(lport, lhost, () => console.error(`first-byte: ${listen} → ${target}`));
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
