import { execFile } from 'node:child_process';
import net from 'node:net';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { utils } from 'ssh2';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../..');

async function files(dir: string, base = dir): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await files(p, base)));
    else out.push(path.relative(base, p));
  }
  return out.sort();
}

describe('dist/', () => {
  let tmp = '';
  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('is what `npm run build` makes from the current sources', async () => {
    tmp = await mkdtemp(path.join(tmpdir(), 'dist-check-'));
    await run(process.execPath, [path.join(root, 'scripts/build.mjs'), '--out', tmp], { cwd: root });
    const fresh = await files(tmp);
    const committed = await files(path.join(root, 'dist'));
    expect(committed).toEqual(fresh);
    for (const f of fresh) {
      const a = await readFile(path.join(tmp, f), 'utf8');
      const b = await readFile(path.join(root, 'dist', f), 'utf8');
      expect(b === a, `dist/${f} differs from a fresh build: run npm run build and commit dist/`).toBe(true);
    }
  }, 300_000);

  it('holds the CLI as one file: npm and the Jenkins library ship dist/cli/index.js alone', async () => {
    expect(await files(path.join(root, 'dist/cli'))).toEqual(['index.js']);
  });

  // Issue 13 row 4 (startup): an action's first byte at a host waits for
  // everything its bundle loads. @actions/core's index loads its OIDC client
  // and with it @actions/http-client and undici (1 MB); the actions reach
  // @actions/core through src/actions/toolkit.ts, which in the bundle leaves
  // the index out.
  it.each(['deploy', 'rollback', 'preview', 'build-push'])('dist/%s starts without @actions/core\'s index and its HTTP client', async (name) => {
    const bundle = path.join(root, 'dist', name, 'index.js');
    expect(await readFile(bundle, 'utf8')).not.toMatch(/\bgetIDToken\b/);
    // What loading the bundle requires: with no inputs, it stops at the first error (exit 2).
    const dir = await mkdtemp(path.join(tmpdir(), 'dist-loads-'));
    try {
      const hook = path.join(dir, 'hook.cjs');
      await writeFile(
        hook,
        "const M = require('node:module'); const seen = new Set(); const load = M._load;\n" +
          'M._load = function (request, ...rest) { seen.add(request); return load.call(this, request, ...rest); };\n' +
          "process.on('exit', () => process.stderr.write('\\nloaded: ' + JSON.stringify([...seen]) + '\\n'));\n",
      );
      const r = await run(process.execPath, ['--require', hook, bundle], { cwd: dir, env: { PATH: process.env.PATH }, timeout: 20_000 }).catch((e: { code: number; stdout: string; stderr: string }) => e);
      expect([(r as { code?: number }).code, r.stdout]).toEqual([2, expect.stringMatching(/^::error::(input "[a-z-]+" is required|Deliveryfile: no such file)/m)]);
      const loaded: string[] = JSON.parse(/^loaded: (.*)$/m.exec(r.stderr)?.[1] ?? 'null');
      // undici's own built-ins: nothing else in an action uses them.
      expect(loaded.filter((m) => /^(node:)?(http2|worker_threads|diagnostics_channel|perf_hooks)$/.test(m))).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  // Issue 13 rows 3 and 4: the first connection opens, and its first bytes
  // go out, before zod loads (the Deliveryfile's schema and the event reader
  // load while the host answers),
  // and zod does load afterwards (the file is validated all the same).
  it.each([
    ['dist/deploy (the action)', 'deploy/index.js', [] as string[]],
    ['dist/cli rollback', 'cli/index.js', ['rollback', '--env', 'prod']],
  ])('%s opens its first connection before it loads zod', async (_what, bundle, args) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'dist-zod-'));
    const server = net.createServer((sock) => sock.destroy());
    try {
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as net.AddressInfo).port;
      await writeFile(path.join(dir, 'Deliveryfile'), 'version: 1.0\napplication: g/app\nenvironments:\n  prod:\n    cluster: [prod.yml]\n    files: [compose.yml]\n');
      await writeFile(path.join(dir, 'prod.yml'), `hosts:\n  - 127.0.0.1:${port}\n`);
      await writeFile(path.join(dir, 'compose.yml'), 'services:\n  web:\n    image: registry.example.org/g/web:1\n');
      const hook = path.join(dir, 'hook.cjs');
      await writeFile(
        hook,
        "const net = require('node:net'); const c = net.Socket.prototype.connect; const w = net.Socket.prototype.write; let first = null; let firstWrite = null;\n" +
          'net.Socket.prototype.connect = function (...a) { if (first === null) first = !!globalThis.__zod_globalConfig; return c.apply(this, a); };\n' +
          // the client's first bytes (ssh2's identification) go out before zod loads, too
          'net.Socket.prototype.write = function (...a) { if (firstWrite === null) firstWrite = !!globalThis.__zod_globalConfig; return w.apply(this, a); };\n' +
          "process.on('exit', () => process.stderr.write('\\nzod: ' + JSON.stringify({ atFirstConnect: first, atFirstWrite: firstWrite, atExit: !!globalThis.__zod_globalConfig }) + '\\n'));\n",
      );
      const { private: privateKey } = utils.generateKeyPairSync('ed25519');
      const env = {
        PATH: process.env.PATH,
        HOME: dir,
        DELIVERY_COMPILE_CACHE: '0',
        GITHUB_SHA: 'f'.repeat(40),
        INPUT_ENVIRONMENT: 'prod',
        INPUT_DELIVERYFILE: path.join(dir, 'Deliveryfile'),
        'INPUT_SSH-KEY': privateKey,
        'INPUT_KNOWN-HOSTS': '',
        DELIVERY_FILE: path.join(dir, 'Deliveryfile'),
        DELIVERY_SSH_KEY: privateKey,
      };
      const r = await run(process.execPath, ['--require', hook, path.join(root, 'dist', bundle), ...args], { cwd: dir, env, timeout: 20_000 }).catch(
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
      expect(r.stdout + r.stderr).toMatch(/127\.0\.0\.1:\d+/);
      expect(JSON.parse(/^zod: (.*)$/m.exec(r.stderr)?.[1] ?? 'null')).toEqual({ atFirstConnect: false, atFirstWrite: false, atExit: true });
    } finally {
      server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('holds no native addon and no Windows helper', async () => {
    const all = await files(path.join(root, 'dist'));
    expect(all.filter((f) => /\.(node|exe)$/.test(f))).toEqual([]);
  });

  it('runs `delivery --help` to a clean exit 0', async () => {
    const { stdout } = await run(process.execPath, [path.join(root, 'dist/cli/index.js'), '--help'], { timeout: 20_000 });
    expect(stdout).toMatch(/usage: delivery COMMAND/);
  });

  it('is executable as the package bin', async () => {
    const pkg = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8'));
    expect(pkg.bin.delivery).toBe('dist/cli/index.js');
    const s = await stat(path.join(root, pkg.bin.delivery));
    expect(s.mode & 0o111).not.toBe(0);
  });
});
