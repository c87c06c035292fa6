import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
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
