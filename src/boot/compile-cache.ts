/**
 * The start of every dist bundle (scripts/build.mjs puts it in front): the
 * bundle's code follows in one block comment of the same file (node only
 * scans it), and this reads it back and compiles it with V8's code cache,
 * so a second start on the same machine skips most of the parsing and
 * compiling (issue 13: about 80 ms of a CLI start here).
 *
 * Where: `$DELIVERY_COMPILE_CACHE` (a directory), else
 * `$XDG_CACHE_HOME/delivery`, else `~/.cache/delivery`. Off with
 * `DELIVERY_COMPILE_CACHE=0`, and by itself on GitHub-hosted runners (a
 * fresh machine per job: the cache would never be read again).
 *
 * Safety: a code cache is run as code, so only a directory and files owned
 * by this user and writable by nobody else are read or written (the
 * directory is made 0700, the files 0600, written whole and renamed into
 * place); anything else means no cache. V8 trusts the data it is given (a
 * damaged file would crash the start), so each file begins with the sha256
 * of its data, checked first. A file is named by the bundle, the command
 * (each CLI command compiles its own functions), the bundle's sha256 (from
 * the build), the bundle file's size and mtime, the Node version and the
 * CPU; V8 also refuses data of another V8 or other flags. Refused or
 * damaged data is compiled afresh and written again. A cache holds the
 * bundle's compiled code only (no values of a run: no secrets). Nothing
 * here imports from src/: it is the first code a bundle runs.
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';

export interface BundleInfo {
  /** dist folder name (cli, deploy, …): the cache file's prefix. */
  name: string;
  /** sha256 of the bundle's code (hex), from the build. */
  sha256: string;
}

export type CacheState = 'off' | 'hit' | 'miss' | 'refused';

/** The cache directory for this environment, or why there is none. */
export function cacheDirOf(env: NodeJS.ProcessEnv): { dir: string } | { off: string } {
  const v = env.DELIVERY_COMPILE_CACHE?.trim();
  if (v !== undefined && /^(0|off|false|no)$/i.test(v)) return { off: 'DELIVERY_COMPILE_CACHE=' + v };
  if (v) return path.isAbsolute(v) ? { dir: v } : { off: 'DELIVERY_COMPILE_CACHE is not an absolute path' };
  if (env.RUNNER_ENVIRONMENT === 'github-hosted') return { off: 'a GitHub-hosted runner (a fresh machine per job)' };
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && path.isAbsolute(xdg)) return { dir: path.join(xdg, 'delivery') };
  const home = env.HOME;
  if (home && path.isAbsolute(home)) return { dir: path.join(home, '.cache', 'delivery') };
  return { off: 'no HOME' };
}

const uid = () => (typeof process.getuid === 'function' ? process.getuid() : -1);

/** Owned by this user and writable by nobody else (what another user could have planted is never run). */
export function privateEnough(st: { uid: number; mode: number }): boolean {
  return st.uid === uid() && (st.mode & 0o022) === 0;
}

/** The directory, made 0700 when missing; null when it is not this user's alone. */
function ensureDir(dir: string): string | null {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = lstatSync(dir);
    return st.isDirectory() && privateEnough(st) ? dir : null;
  } catch {
    return null;
  }
}

/**
 * The part of the name for the command run: each CLI command compiles its
 * own functions, so each keeps its own cache (the first run of `--version`
 * must not decide what `deploy` finds).
 */
export function commandOf(argv: readonly string[]): string {
  const w = argv[2] ?? '';
  return /^[a-z][a-z-]{0,30}$/.test(w) ? w : w === '' ? 'run' : 'other';
}

/** The cache file's name: `prefix` (bundle and command), the bundle's sha256 and file stat, Node version, CPU. */
function cacheFileName(prefix: string, info: BundleInfo, file: { size: number; mtimeMs: number }): string {
  return `${prefix}${info.sha256.slice(0, 16)}-${file.size}-${Math.floor(file.mtimeMs)}-${process.version}-${process.arch}.v8`;
}

/** A cache file: the sha256 of the data, then the data (V8 itself does not check it: damaged data would crash). */
const DIGEST = 32;
const digest = (data: Buffer) => createHash('sha256').update(data).digest();

/** The data of a private cache file; null when it is damaged; undefined when there is none (or not ours). */
function readPrivate(file: string): Buffer | null | undefined {
  let fd = -1;
  try {
    fd = openSync(file, 'r');
    const st = fstatSync(fd);
    if (!st.isFile() || !privateEnough(st)) return undefined;
    const all = readFileSync(fd);
    const data = all.subarray(DIGEST);
    return all.length > DIGEST && digest(data).equals(all.subarray(0, DIGEST)) ? data : null;
  } catch {
    return undefined;
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

/** Writes the data whole to a new 0600 file, then renames it into place; drops older caches of this bundle, command and Node. */
function writePrivate(dir: string, name: string, data: Buffer, prefix: string): void {
  const tmp = path.join(dir, `.${name}.${process.pid}.tmp`);
  try {
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeSync(fd, digest(data));
      writeSync(fd, data);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path.join(dir, name));
  } catch {
    try {
      unlinkSync(tmp);
    } catch {
      /* not there */
    }
    return;
  }
  const tail = `-${process.version}-${process.arch}.v8`;
  for (const f of readdirSync(dir)) {
    if (f !== name && f.startsWith(prefix) && f.endsWith(tail)) {
      try {
        unlinkSync(path.join(dir, f));
      } catch {
        /* gone already */
      }
    }
  }
}

/**
 * The bundle's code from the dist file: what follows `/*delivery-bundle
 * SHA256` up to the last `*` `/`, with each `*` U+0001 `/` back to `*` `/`;
 * and the lines before it (so stack traces name the file's own lines).
 */
export function bundleCode(text: string, info: BundleInfo): { code: string; lineOffset: number } {
  const head = `\n/*delivery-bundle ${info.sha256}\n`;
  const at = text.indexOf(head);
  const end = text.lastIndexOf('\n*/');
  if (at < 0 || end < at) throw new Error(`${info.name}: the bundle's code is not where the build put it; rebuild dist (npm run build)`);
  let lineOffset = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i <= at; i = text.indexOf('\n', i + 1)) lineOffset++;
  return { code: text.slice(at + head.length, end).replaceAll('*\u0001/', '*/'), lineOffset: lineOffset + 1 };
}

/**
 * Compiles and runs the bundle's code (read from `filename`, the dist file
 * itself) as the CommonJS module `mod`: same require, __filename and
 * __dirname as before. Returns what happened to the cache (DELIVERY_DEBUG=1
 * prints it).
 */
export function runBundle(info: BundleInfo, mod: NodeModule, req: NodeJS.Require, filename: string): CacheState {
  const fd = openSync(filename, 'r');
  let text: string;
  let stat: { size: number; mtimeMs: number };
  try {
    stat = fstatSync(fd);
    text = readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
  const { code, lineOffset } = bundleCode(text, info);
  const where = cacheDirOf(process.env);
  let dir: string | null = null;
  const prefix = `${info.name}.${commandOf(process.argv)}-`;
  let name = '';
  let cached: Buffer | undefined;
  let damaged = false;
  if ('dir' in where) {
    dir = ensureDir(where.dir);
    if (dir) {
      name = cacheFileName(prefix, info, stat);
      const got = readPrivate(path.join(dir, name));
      damaged = got === null;
      cached = got ?? undefined;
    }
  }
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${code}\n})`, { filename, lineOffset, cachedData: cached });
  const state: CacheState = !dir ? 'off' : damaged || script.cachedDataRejected ? 'refused' : cached === undefined ? 'miss' : 'hit';
  if (process.env.DELIVERY_DEBUG === '1') {
    process.stderr.write(`debug: compile cache: ${state}${dir ? ` (${path.join(dir, name)})` : 'off' in where ? ` (${where.off})` : ` (${where.dir} is not this user's alone)`}\n`);
  }
  if (dir && (state === 'miss' || state === 'refused')) {
    // At exit, so the data holds the functions this run compiled too.
    const d = dir;
    process.once('exit', () => writePrivate(d, name, script.createCachedData(), prefix));
  }
  const fn = script.runInThisContext() as (e: unknown, r: NodeJS.Require, m: NodeModule, f: string, d: string) => void;
  fn.call(mod.exports, mod.exports, req, mod, filename, path.dirname(filename));
  return state;
}
