/**
 * Cluster URLs over real HTTPS: a server on 127.60.0.1 with a certificate
 * from a CA made here with openssl; the CLI runs as a child process that
 * trusts the CA only through NODE_EXTRA_CA_CERTS.
 *
 * The CLI is dist/cli/index.js (DELIVERY_TEST_CLI overrides it, to test a
 * bundle built elsewhere).
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const ROOT = path.join(__dirname, '../..');
const CLI = process.env.DELIVERY_TEST_CLI ?? path.join(ROOT, 'dist/cli/index.js');
const ADDR = '127.60.0.1';
const TOKEN = 'tok-60-secret';

let dir: string;
let server: https.Server;
let base: string;
const hits: Record<string, number> = {};
const sockets = new Set<import('node:stream').Duplex>();

function openssl(args: string[]) {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cluster-https-'));
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=delivery test CA 60']);
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', `/CN=${ADDR}`]);
  writeFileSync(path.join(dir, 'ext.cnf'), `subjectAltName=IP:${ADDR}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'ext.cnf']);

  server = https.createServer({ key: readFileSync(path.join(dir, 'server.key')), cert: readFileSync(path.join(dir, 'server.pem')) }, (req, res) => {
    const url = req.url ?? '';
    hits[url] = (hits[url] ?? 0) + 1;
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      res.writeHead(401).end('no token\n');
      return;
    }
    const yaml = (body: string) => res.writeHead(200, { 'content-type': 'application/yaml' }).end(body);
    switch (url) {
      case '/ok.yml':
        return yaml('hosts:\n  - web1.example.org\n  - host: 127.60.0.11\n    port: 2222\n    name: h1\n');
      case '/flaky.yml':
        if (hits[url] === 1) return void res.writeHead(500).end('try again\n');
        return yaml('- web2.example.org\n');
      case '/slow.yml':
        setTimeout(() => res.writeHead(200).end('- late.example.org\n'), 5000).unref();
        return;
      case '/invalid.yml':
        return yaml('hosts:\n  - [web1\n');
      case '/empty.yml':
        return yaml('');
      default:
        res.writeHead(404, 'Not Found').end('not here\n');
    }
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, ADDR, resolve));
  base = `https://${ADDR}:${(server.address() as AddressInfo).port}`;

  writeFileSync(path.join(dir, 'docker-compose.yml'), 'services:\n  web:\n    image: 127.60.0.1:5000/e2e/app:v1\n    init: true\n');
  const env = (name: string, cluster: string) => `  ${name}:\n    cluster:\n      - ${cluster}\n    files: [docker-compose.yml]\n`;
  writeFileSync(
    path.join(dir, 'Deliveryfile'),
    'version: 1.0\napplication: e2e/cluster\nenvironments:\n' +
      env('ok', `${base}/ok.yml`) +
      env('missing', `${base}/missing.yml`) +
      env('flaky', `${base}/flaky.yml`) +
      env('slow', `${base}/slow.yml`) +
      env('invalid', `${base}/invalid.yml`) +
      env('empty', `${base}/empty.yml`),
  );
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => server?.close(r));
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function plan(envName: string, extraEnv: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, 'plan', '--env', envName, '--file', path.join(dir, 'Deliveryfile'), '--json'],
      {
        cwd: dir,
        env: {
          PATH: process.env.PATH,
          NODE_EXTRA_CA_CERTS: path.join(dir, 'ca.pem'),
          DELIVERY_CLUSTER_TOKEN: TOKEN,
          DELIVERY_CLUSTER_TIMEOUT: '1',
          DELIVERY_CLUSTER_RETRIES: '2',
          SOURCE_DATE_EPOCH: '1764166200',
          GITHUB_SHA: 'abcdef0123456789',
          ...extraEnv,
        },
        timeout: 60_000,
      },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    );
  });
}

describe('cluster URLs over HTTPS', () => {
  test('ok: the hosts arrive, the token is sent and never printed', async () => {
    const r = await plan('ok');
    expect(r.stderr).not.toContain(TOKEN);
    expect(r.stdout).not.toContain(TOKEN);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.release).toBe('20251126T141000Z-abcdef0');
    expect(j.hosts.map((h: { name: string; host: string; port: number; source: string }) => [h.name, h.host, h.port, h.source])).toEqual([
      ['web1.example.org', 'web1.example.org', 22, `${base}/ok.yml`],
      ['h1', '127.60.0.11', 2222, `${base}/ok.yml`],
    ]);
  });

  test('404: exit 2, the URL and the HTTP status in one line, no retry', async () => {
    const before = hits['/missing.yml'] ?? 0;
    const r = await plan('missing');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^error: ${dir}/Deliveryfile:\\d+:9 environments\\.missing\\.cluster\\[0\\]: cluster ${base}/missing\\.yml: HTTP 404 Not Found$`, 'm'));
    expect(hits['/missing.yml'] - before).toBe(1);
  });

  test('500 then ok: retried with backoff, then planned', async () => {
    const r = await plan('flaky');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: cluster \S+\/flaky\.yml: HTTP 500 Internal Server Error; retrying in 0\.5s \(attempt 2 of 3\)/);
    expect(JSON.parse(r.stdout).hosts.map((h: { name: string }) => h.name)).toEqual(['web2.example.org']);
    expect(hits['/flaky.yml']).toBe(2);
  });

  test('slow past the read timeout: retried, then exit 2 naming the timeout', async () => {
    const r = await plan('slow');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/environments\.slow\.cluster\[0\]: cluster \S+\/slow\.yml: no complete response within 1s \(after 3 attempts\)$/m);
    expect(hits['/slow.yml']).toBe(3);
  });

  test('invalid YAML: exit 2 with the URL, line and column', async () => {
    const r = await plan('invalid');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^error: ${base}/invalid\\.yml:\\d+:\\d+: invalid YAML: `, 'm'));
  });

  test('empty: exit 2, the cluster resolves to no host, naming its source', async () => {
    const r = await plan('empty');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`environments\\.empty\\.cluster: the cluster resolves to no host \\(sources: ${base}/empty\\.yml\\)`));
  });

  test('without the CA the certificate is refused (no silent downgrade)', async () => {
    const r = await plan('ok', { NODE_EXTRA_CA_CERTS: '', DELIVERY_CLUSTER_RETRIES: '0' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cluster \S+\/ok\.yml: (unable to verify the first certificate|self[- ]signed certificate|unable to get local issuer certificate)/);
  });

  test('a wrong token gets the 401 in the message', async () => {
    const r = await plan('ok', { DELIVERY_CLUSTER_TOKEN: 'wrong' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cluster \S+\/ok\.yml: HTTP 401 Unauthorized/);
  });
});
