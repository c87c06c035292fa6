#!/usr/bin/env node
// The layers of src/ (docs: README "Layout"), checked on every import:
//
//   actions/ → cli/ → fleet/ → ssh/, adapters/ → core/
//
// A file may import from its own folder and from the folders below its
// own; never up a layer, never sideways between ssh/ and adapters/. core/
// is pure: no file, process or network modules. host/ is bash and not
// checked here. Run: node scripts/lint-layers.mjs (part of `npm run lint`);
// exit 1 with one line per offending import.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Rank of each folder of src/: an import may only go to a lower rank (or the same folder). */
export const LAYERS = { core: 0, adapters: 1, ssh: 1, fleet: 2, cli: 3, actions: 4 };

/** Modules core/ may not import: it is pure (no I/O). */
export const IMPURE = [/^(node:)?(fs|fs\/promises|child_process|net|http|https|http2|tls|dgram|dns|os|worker_threads|cluster)$/, /^ssh2$/, /^@actions\//];

const SPECIFIER = /(?:^|[^.\w])(?:import|export)\s[^'"]*?\sfrom\s*['"]([^'"]+)['"]|(?:^|[^.\w])import\s*['"]([^'"]+)['"]|(?:^|[^.\w])(?:import|require)\s*\(\s*(?:\/\*[^*]*\*\/\s*)?['"]([^'"]+)['"]\s*\)/g;

/** Every module specifier in a TypeScript source (comments are stripped first). */
export function importsOf(text) {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, (c) => (/webpack/.test(c) ? '' : c.replace(/[^\n]/g, ' '))).replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const out = [];
  for (const m of code.matchAll(SPECIFIER)) {
    const spec = m[1] ?? m[2] ?? m[3];
    const line = code.slice(0, m.index).split('\n').length + (m[0].startsWith('\n') ? 1 : 0);
    out.push({ spec, line });
  }
  return out;
}

/** The layer folder of a path relative to src/ (e.g. `fleet/executor.ts` → `fleet`), or null outside the layers. */
function layerOf(rel) {
  const top = rel.split('/')[0];
  return Object.hasOwn(LAYERS, top) ? top : null;
}

/**
 * Problems of one file: `file` is relative to src/ (e.g. `ssh/connection.ts`).
 * Returns lines like `src/ssh/connection.ts:17: imports ../fleet/events (fleet/) — ssh/ may import core/ only`.
 */
export function checkFile(file, text) {
  const from = layerOf(file);
  if (!from) return [];
  const problems = [];
  for (const { spec, line } of importsOf(text)) {
    const where = `src/${file}:${line}`;
    if (!spec.startsWith('.')) {
      if (from === 'core' && IMPURE.some((re) => re.test(spec))) problems.push(`${where}: imports ${spec}: core/ is pure (no file, process or network I/O); do it in adapters/ and pass the result in`);
      continue;
    }
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
    if (target.startsWith('..')) continue; // outside src/ (package.json)
    const to = layerOf(target);
    if (!to || to === from) continue;
    if (LAYERS[to] >= LAYERS[from]) {
      const allowed = Object.keys(LAYERS).filter((l) => LAYERS[l] < LAYERS[from]);
      problems.push(`${where}: imports ${spec} (${to}/), ${LAYERS[to] === LAYERS[from] ? 'a sideways' : 'an upward'} import; ${from}/ may import ${allowed.length ? allowed.map((l) => `${l}/`).join(', ') : 'nothing outside itself'} only`);
    }
  }
  return problems;
}

function walk(dir, base = dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p, base));
    else if (/\.(ts|mts|cts|js|mjs|cjs)$/.test(name) && !name.endsWith('.d.ts')) out.push(path.relative(base, p).split(path.sep).join('/'));
  }
  return out;
}

/** Every problem under `srcDir`. */
export function checkTree(srcDir) {
  return walk(srcDir).flatMap((f) => checkFile(f, readFileSync(path.join(srcDir, f), 'utf8')));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'src');
  const problems = checkTree(src);
  for (const p of problems) console.error(p);
  if (problems.length) {
    console.error(`lint-layers: ${problems.length} import(s) against the layers (actions/ → cli/ → fleet/ → ssh/, adapters/ → core/)`);
    process.exit(1);
  }
  console.log('lint-layers: every import points down a layer');
}
