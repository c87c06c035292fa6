import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
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
