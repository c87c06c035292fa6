/** scripts/lint-layers.mjs: `npm run lint` fails on an import that runs up a layer. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module script without types
import { checkFile, checkTree, importsOf } from '../../scripts/lint-layers.mjs';

const ROOT = path.join(__dirname, '../..');
type Check = (file: string, text: string) => string[];
const check = checkFile as Check;

describe('checkFile', () => {
  it.each([
    ['fleet/x.ts', "import { a } from '../core/plan';\nimport { b } from '../ssh/connection';\nimport { c } from './pool';"],
    ['cli/x.ts', "import type { R } from '../fleet/executor';\nimport { d } from '../adapters/load-plan';"],
    ['actions/x.ts', "import { run } from '../cli/commands/deploy';"],
    ['core/x.ts', "import { z } from 'zod';\nimport { createHash } from 'node:crypto';\nimport path from 'node:path';"],
    ['cli/main.ts', "const v = require('../../package.json');"],
    ['core/x.ts', "// import { x } from '../fleet/executor';\n/* import '../cli/main' */"],
  ])('%s: allowed', (file, text) => expect(check(file, text)).toEqual([]));

  it.each([
    ['ssh/connection.ts', "import {\n  TransportError,\n} from '../fleet/connection';", /^src\/ssh\/connection\.ts:1: imports \.\.\/fleet\/connection \(fleet\/\), an upward import; ssh\/ may import core\/ only$/],
    ['core/plan.ts', "import type { FleetReport } from '../fleet/executor';", /^src\/core\/plan\.ts:1: imports .* an upward import; core\/ may import nothing outside itself only$/],
    ['fleet/x.ts', "export { x } from '../cli/fleet';", /fleet\/x\.ts:1: imports \.\.\/cli\/fleet \(cli\/\), an upward import; fleet\/ may import core\/, adapters\/, ssh\/ only/],
    ['adapters/x.ts', "import { SshConnector } from '../ssh/connection';", /a sideways import; adapters\/ may import core\/ only/],
    ['cli/x.ts', "const m = await import(/* webpackMode: \"eager\" */ '../actions/main');", /imports \.\.\/actions\/main \(actions\/\), an upward import/],
    ['core/x.ts', "import { readFileSync } from 'node:fs';", /imports node:fs: core\/ is pure/],
    ['core/x.ts', "import { Client } from 'ssh2';", /imports ssh2: core\/ is pure/],
  ])('%s: refused', (file, text, want) => {
    const problems = check(file, text);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(want);
  });

  it('reads every form of import', () => {
    const specs = (importsOf as (t: string) => { spec: string }[])("import a from 'a';\nimport 'b';\nexport * from 'c';\nconst d = require('d');\nimport type {\n  E,\n} from 'e';\nawait import('f');").map((x) => x.spec);
    expect(specs).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  });
});

describe('the tree', () => {
  it('src/ keeps to its layers', () => expect((checkTree as (d: string) => string[])(path.join(ROOT, 'src'))).toEqual([]));

  it('the script exits 1 and names each offending import', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'layers-'));
    for (const d of ['scripts', 'src/core', 'src/fleet']) mkdirSync(path.join(dir, d), { recursive: true });
    writeFileSync(path.join(dir, 'scripts/lint-layers.mjs'), require('node:fs').readFileSync(path.join(ROOT, 'scripts/lint-layers.mjs')));
    writeFileSync(path.join(dir, 'src/core/a.ts'), "import { b } from '../fleet/b';\n");
    writeFileSync(path.join(dir, 'src/fleet/b.ts'), "export const b = 1;\n");
    const r = spawnSync(process.execPath, [path.join(dir, 'scripts/lint-layers.mjs')], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('src/core/a.ts:1: imports ../fleet/b (fleet/), an upward import; core/ may import nothing outside itself only\nlint-layers: 1 import(s) against the layers (actions/ → cli/ → fleet/ → ssh/, adapters/ → core/)\n');
  });
});
