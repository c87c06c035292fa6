// Bundles every entry point with ncc into dist/<name>/index.js.
//   node scripts/build.mjs            write into dist/
//   node scripts/build.mjs --out DIR  write into DIR (the freshness test uses this)
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rm, writeFile, readdir } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// A fresh clone has no node_modules: one line that says what to run, not a stack.
for (const dep of ['@vercel/ncc', 'typescript']) {
  try {
    require.resolve(dep);
  } catch {
    console.error(`build: ${dep} is not installed in ${path.join(root, 'node_modules')}; run \`npm ci\` first (npm test and npm run demo do it themselves)`);
    process.exit(1);
  }
}
const ncc = require('@vercel/ncc');
const ts = require('typescript');

// name in dist/ -> source entry
export const ENTRIES = {
  cli: 'src/cli/index.ts',
  // Each action: src/actions/<name>/main.ts exports run(), index.ts calls it.
  deploy: 'src/actions/deploy/index.ts',
  'build-push': 'src/actions/build-push/index.ts',
  rollback: 'src/actions/rollback/index.ts',
  preview: 'src/actions/preview/index.ts',
};

const args = process.argv.slice(2);
const outIdx = args.indexOf('--out');
const outRoot = outIdx >= 0 ? path.resolve(args[outIdx + 1]) : path.join(root, 'dist');

// ssh2's optional native addons, when an install compiled them, change what
// ncc bundles; dist/ must be the same on every machine (and runner), so the
// build uses ssh2's pure JavaScript fallback only.
const nativeBuilds = ['node_modules/cpu-features/build', 'node_modules/ssh2/lib/protocol/crypto/build'].filter((d) =>
  existsSync(path.join(root, d)),
);
if (nativeBuilds.length) {
  console.error(
    `build: native addon builds found (${nativeBuilds.join(', ')}); remove them (rm -rf ${nativeBuilds.join(' ')}) ` +
      'or reinstall with `npm ci` (the project .npmrc skips install scripts), so dist/ is the same everywhere',
  );
  process.exit(1);
}

// Type-check the whole project once; ncc then only transpiles each entry
// (its own type check would run over every file once per entry).
try {
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '--noEmit', '-p', root], { stdio: 'inherit' });
} catch {
  process.exit(1);
}

// Every bundle starts with src/boot/compile-cache.ts, which compiles the
// bundle's code with V8's code cache: a second start on the same machine
// skips most of the parsing (issue 13). Still one file per entry: the code
// follows the loader inside one block comment (node only scans a comment:
// a string of the same code cost ~20 ms more to read), every `*/` in it
// written `*` U+0001 `/`; the loader reads it from its own file.
const bootTs = await readFile(path.join(root, 'src/boot/compile-cache.ts'), 'utf8');
const boot = ts.transpileModule(bootTs, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, removeComments: true } }).outputText;
function withCompileCache(name, code) {
  if (code.includes('\u0001')) throw new Error(`build: the ${name} bundle holds U+0001, which the compile cache's wrapping needs for itself`);
  const info = { name, sha256: createHash('sha256').update(code).digest('hex') };
  return (
    '"use strict";\n' +
    `(function () {\nconst exports = {};\n${boot}\nexports.runBundle(${JSON.stringify(info)}, module, require, __filename);\n})();\n` +
    `/*delivery-bundle ${info.sha256}\n${code.replaceAll('*/', '*\u0001/')}\n*/\n`
  );
}

for (const [name, entry] of Object.entries(ENTRIES)) {
  const { code, assets } = await ncc(path.join(root, entry), {
    transpileOnly: true,
    // Whitespace out and local names short (terser without compress; function
    // and class names kept, so stacks still name them): half the bytes for
    // node to parse before the first byte reaches a host (issue 13 row 4).
    minify: true,
    sourceMap: false,
    quiet: true,
    // No cache, so the output depends on the sources only.
    cache: false,
    target: 'es2022',
  });
  const dir = path.join(outRoot, name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const shebang = name === 'cli' ? '#!/usr/bin/env node\n' : '';
  await writeFile(path.join(dir, 'index.js'), shebang + withCompileCache(name, code.replace(/^#!.*\n/, '')), { mode: 0o755 });
  for (const [file, asset] of Object.entries(assets)) {
    // Native addons and Windows helpers only work where they were built.
    if (file.endsWith('.node') || file.endsWith('.exe')) continue;
    const target = path.join(dir, file);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, asset.source, { mode: asset.permissions ?? 0o644 });
  }
}
// The Jenkins library ships the same CLI bundle and the host files setup
// uploads, as library resources (libraryResource 'delivery/cli/index.js').
export const HOST_FILES = ['rollout', 'install.sh', 'traefik/docker-compose.yml', 'traefik/teapot/Dockerfile', 'traefik/teapot/teapot.sh'];
if (outIdx < 0) {
  const res = path.join(root, 'jenkins/resources/delivery');
  await rm(res, { recursive: true, force: true });
  await mkdir(path.join(res, 'cli'), { recursive: true });
  await copyFile(path.join(outRoot, 'cli/index.js'), path.join(res, 'cli/index.js'));
  for (const f of HOST_FILES) {
    await mkdir(path.dirname(path.join(res, 'host', f)), { recursive: true });
    await copyFile(path.join(root, 'src/host', f), path.join(res, 'host', f));
  }
}

// Drop bundles whose entry no longer exists.
if (outIdx < 0) {
  for (const d of await readdir(outRoot)) {
    if (!(d in ENTRIES)) await rm(path.join(outRoot, d), { recursive: true, force: true });
  }
}
