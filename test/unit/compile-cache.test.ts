// The compile cache every dist bundle starts with (src/boot/compile-cache.ts),
// run through the real dist/cli/index.js in a HOME of its own.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { bundleCode, cacheDirOf, commandOf } from '../../src/boot/compile-cache';

const exec = promisify(execFile);
const root = path.resolve(__dirname, '../..');
const CLI = path.join(root, 'dist/cli/index.js');

let home = '';
const made: string[] = [];
afterAll(async () => {
  for (const d of made) await rm(d, { recursive: true, force: true });
});
beforeEach(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'compile-cache-'));
  made.push(home);
});
const cacheDir = () => path.join(home, '.cache', 'delivery');

/** The CLI with this HOME (no other cache setting); stdout, stderr, exit code. */
async function cli(args: string[], env: Record<string, string> = {}) {
  const base: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: home, DELIVERY_DEBUG: '1', ...env };
  try {
    const r = await exec(process.execPath, [CLI, ...args], { env: base });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}
const stateOf = (stderr: string) => /debug: compile cache: (\w+)/.exec(stderr)?.[1];
const withoutDebug = (s: string) => s.replace(/^debug: compile cache: .*\n/m, '');

describe('the compile cache of the dist bundles', () => {
  it('a first start writes it (0600 in a 0700 directory), the next one reads it, and both print what an uncached start prints', async () => {
    const first = await cli(['--help']);
    expect(stateOf(first.stderr)).toBe('miss');
    const files = await readdir(cacheDir());
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^cli\.other-[0-9a-f]{16}-\d+-\d+-v\d+\.\d+\.\d+-\w+\.v8$/);
    expect((await stat(cacheDir())).mode & 0o777).toBe(0o700);
    const st = await stat(path.join(cacheDir(), files[0]));
    expect(st.mode & 0o777).toBe(0o600);
    expect(st.size).toBeGreaterThan(1000);

    const second = await cli(['--help']);
    expect(stateOf(second.stderr)).toBe('hit');
    // not written again on a hit
    expect((await stat(path.join(cacheDir(), files[0]))).mtimeMs).toBe(st.mtimeMs);
    const off = await cli(['--help'], { DELIVERY_COMPILE_CACHE: '0' });
    expect(stateOf(off.stderr)).toBe('off');
    expect(second.stdout).toBe(off.stdout);
    expect(first.stdout).toBe(off.stdout);
    expect(withoutDebug(second.stderr)).toBe(withoutDebug(off.stderr));
  });

  it('keeps one cache per command, so a short first command does not decide what a deploy finds', async () => {
    await cli(['--version']);
    await cli(['plan', '--env', 'x', '--file', path.join(home, 'none')]);
    const files = (await readdir(cacheDir())).sort();
    expect(files.map((f) => f.split('-')[0])).toEqual(['cli.other', 'cli.plan']);
  });

  it('leaves exit codes and error messages as they are', async () => {
    const off = await cli(['deploy'], { DELIVERY_COMPILE_CACHE: 'off' });
    const miss = await cli(['deploy']);
    const hit = await cli(['deploy']);
    expect(off.code).toBe(2);
    expect([miss.code, hit.code]).toEqual([2, 2]);
    expect(stateOf(hit.stderr)).toBe('hit');
    expect(withoutDebug(hit.stderr)).toBe(withoutDebug(off.stderr));
    expect(withoutDebug(miss.stderr)).toBe(withoutDebug(off.stderr));
  });

  it('is off with DELIVERY_COMPILE_CACHE=0 and on GitHub-hosted runners: nothing is written', async () => {
    expect(stateOf((await cli(['--version'], { DELIVERY_COMPILE_CACHE: '0' })).stderr)).toBe('off');
    const hosted = await cli(['--version'], { RUNNER_ENVIRONMENT: 'github-hosted' });
    expect(hosted.stderr).toMatch(/compile cache: off \(a GitHub-hosted runner/);
    await expect(stat(path.join(home, '.cache'))).rejects.toThrow();
    // a self-hosted runner keeps one
    expect(stateOf((await cli(['--version'], { RUNNER_ENVIRONMENT: 'self-hosted' })).stderr)).toBe('miss');
  });

  it('DELIVERY_COMPILE_CACHE names the directory', async () => {
    const dir = path.join(home, 'elsewhere');
    expect(stateOf((await cli(['--version'], { DELIVERY_COMPILE_CACHE: dir })).stderr)).toBe('miss');
    expect(await readdir(dir)).toHaveLength(1);
    expect(stateOf((await cli(['--version'], { DELIVERY_COMPILE_CACHE: dir })).stderr)).toBe('hit');
  });

  it('neither reads nor writes a directory that others can write to', async () => {
    await mkdir(cacheDir(), { recursive: true });
    await chmod(cacheDir(), 0o777);
    const r = await cli(['--version']);
    expect(r.stderr).toMatch(/compile cache: off \(.* is not this user's alone\)/);
    expect(r.stdout).toMatch(/^delivery /);
    expect(await readdir(cacheDir())).toEqual([]);
  });

  it('does not run a cache file that others can write to, and replaces it with its own', async () => {
    await cli(['--version']);
    const [f] = await readdir(cacheDir());
    const file = path.join(cacheDir(), f);
    await chmod(file, 0o666);
    expect(stateOf((await cli(['--version'])).stderr)).toBe('miss');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(stateOf((await cli(['--version'])).stderr)).toBe('hit');
  });

  it.each([
    ['its data damaged', (b: Buffer) => Buffer.concat([b.subarray(0, 96), Buffer.alloc(b.length - 96, 7)])],
    ['cut short', (b: Buffer) => b.subarray(0, b.length - 100)],
    ['empty', () => Buffer.alloc(0)],
    // a right checksum over data V8 does not take (another V8's, say): V8's own check refuses it
    ['V8 data it refuses', (b: Buffer) => {
      const data = Buffer.from(b.subarray(32));
      data.writeUInt32LE(data.readUInt32LE(4) ^ 0xffff, 4);
      return Buffer.concat([createHash('sha256').update(data).digest(), data]);
    }],
  ])('a cache file %s is not run: compiled afresh, written again, then used', async (_what, damage) => {
    await cli(['--version']);
    const [f] = await readdir(cacheDir());
    const file = path.join(cacheDir(), f);
    await writeFile(file, damage(await readFile(file)), { mode: 0o600 });
    const r = await cli(['--version']);
    expect(r.code).toBe(0);
    expect(stateOf(r.stderr)).toBe('refused');
    expect(r.stdout).toMatch(/^delivery /);
    expect(stateOf((await cli(['--version'])).stderr)).toBe('hit');
  });
});

describe('bundleCode: the code the build put in the block comment', () => {
  it('gives back every */ and the line the code starts on', () => {
    const info = { name: 'x', sha256: 'ab'.repeat(32) };
    const code = 'const a = 2 */* c */ 3;\nthrow new Error("line 2")';
    const file = `"use strict";\nloader();\n/*delivery-bundle ${info.sha256}\n${code.replaceAll('*/', '*\u0001/')}\n*/\n`;
    expect(bundleCode(file, info)).toEqual({ code, lineOffset: 3 });
    expect(() => bundleCode(file.replace('delivery-bundle', 'other'), info)).toThrow(/rebuild dist/);
  });

  it('in the real dist file, the code starts on the line after its marker (stack traces name the file\'s own lines)', async () => {
    const text = await readFile(CLI, 'utf8');
    const m = /\n\/\*delivery-bundle ([0-9a-f]{64})\n/.exec(text)!;
    const { lineOffset } = bundleCode(text, { name: 'cli', sha256: m[1] });
    expect(text.split('\n')[lineOffset - 1]).toBe(`/*delivery-bundle ${m[1]}`);
  });
});

describe('cacheDirOf and commandOf', () => {
  it('chooses the directory from the environment', () => {
    expect(cacheDirOf({ HOME: '/home/u' })).toEqual({ dir: '/home/u/.cache/delivery' });
    expect(cacheDirOf({ HOME: '/home/u', XDG_CACHE_HOME: '/c' })).toEqual({ dir: '/c/delivery' });
    expect(cacheDirOf({ HOME: '/home/u', XDG_CACHE_HOME: 'relative' })).toEqual({ dir: '/home/u/.cache/delivery' });
    expect(cacheDirOf({ HOME: '/home/u', DELIVERY_COMPILE_CACHE: '/x' })).toEqual({ dir: '/x' });
    expect(cacheDirOf({ HOME: '/home/u', DELIVERY_COMPILE_CACHE: 'x' })).toHaveProperty('off');
    expect(cacheDirOf({ HOME: '/home/u', DELIVERY_COMPILE_CACHE: 'OFF' })).toHaveProperty('off');
    expect(cacheDirOf({ HOME: '/home/u', RUNNER_ENVIRONMENT: 'github-hosted' })).toHaveProperty('off');
    expect(cacheDirOf({ HOME: '/home/u', RUNNER_ENVIRONMENT: 'github-hosted', DELIVERY_COMPILE_CACHE: '/x' })).toEqual({ dir: '/x' });
    expect(cacheDirOf({})).toHaveProperty('off');
  });

  it('names the command from the first word only when it is a plain word', () => {
    expect(commandOf(['node', 'index.js', 'deploy', '--env', 'x'])).toBe('deploy');
    expect(commandOf(['node', 'index.js'])).toBe('run');
    expect(commandOf(['node', 'index.js', '--help'])).toBe('other');
    expect(commandOf(['node', 'index.js', '../../x'])).toBe('other');
  });
});
