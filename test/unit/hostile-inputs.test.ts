/**
 * Hostile Deliveryfiles and compose files through the real CLI bundle
 * (`node dist/cli/index.js plan`, or DELIVERY_TEST_CLI): each is exit 2
 * with one line saying what was wrong, under a bounded heap
 * (--max-old-space-size: a run that needs more dies with another code and
 * fails the test). The time and peak memory of each run are printed, never
 * asserted (speed lives in `npm run bench`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';

const ROOT = path.join(__dirname, '../..');
const CLI = process.env.DELIVERY_TEST_CLI ?? path.join(ROOT, 'dist/cli/index.js');
const HEAP_MB = 192;
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'hostile-'));
  dirs.push(dir);
  for (const [p, v] of Object.entries(files)) writeFileSync(path.join(dir, p), v);
  return dir;
}

const DELIVERYFILE = 'application: shop/web\nenvironments:\n  qa:\n    cluster: [{hosts: [127.0.0.1]}]\n    files: [compose.yml]\n';
const COMPOSE = 'services:\n  web:\n    image: nginx:1\n';

/** Runs `delivery plan` in `dir`; prints seconds and peak memory. */
function plan(dir: string, name: string, args: string[] = ['--env', 'qa']): { status: number | null; stderr: string } {
  const argv = [`--max-old-space-size=${HEAP_MB}`, CLI, 'plan', ...args];
  const started = process.hrtime.bigint();
  const r = TIME
    ? spawnSync(TIME, ['-f', 'H2-TIME %e s %M KiB', process.execPath, ...argv], { cwd: dir, encoding: 'utf8', timeout: 120_000, env: { PATH: process.env.PATH } })
    : spawnSync(process.execPath, argv, { cwd: dir, encoding: 'utf8', timeout: 120_000, env: { PATH: process.env.PATH } });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const m = /H2-TIME ([\d.]+) s (\d+) KiB\n?$/.exec(r.stderr);
  const stderr = (m ? r.stderr.slice(0, m.index) : r.stderr).replace(/^Command exited with non-zero status \d+\n/m, '');
  console.log(`${name}: exit ${r.status}, ${seconds.toFixed(2)} s${m ? `, peak ${(Number(m[2]) / 1024).toFixed(0)} MiB` : ''}`);
  return { status: r.status, stderr };
}

function bomb(levels = 9): string {
  const lines = ['x-l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < levels; i++) lines.push(`x-l${i}: &l${i} [${Array(9).fill(`*l${i - 1}`).join(',')}]`);
  return lines.join('\n') + '\n';
}

function oneLine(stderr: string): string {
  const lines = stderr.split('\n').filter(Boolean);
  expect(lines, stderr).toHaveLength(1);
  expect(stderr).not.toMatch(/\bat .*\.js:\d+/); // no stack trace
  return lines[0];
}

describe.runIf(existsSync(CLI))(`hostile inputs through ${path.relative(ROOT, CLI)}`, () => {
  test('an alias bomb in the Deliveryfile', () => {
    const dir = project({ Deliveryfile: bomb() + DELIVERYFILE, 'compose.yml': COMPOSE });
    const r = plan(dir, 'Deliveryfile alias bomb');
    expect(r.status).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/^error: Deliveryfile:\d+:\d+: aliases expand to more than 100000 nodes \(a YAML alias bomb\?\); refused$/);
  });

  test('an alias bomb in a compose file', () => {
    const dir = project({ Deliveryfile: DELIVERYFILE, 'compose.yml': bomb() + 'services:\n  web:\n    image: nginx:1\n    command: *l8\n' });
    const r = plan(dir, 'compose alias bomb');
    expect(r.status).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/^error: compose\.yml:\d+:\d+: aliases expand to more than 100000 nodes/);
  });

  test.each(['constructor', '__proto__', 'hasOwnProperty'])('--env %s', (env) => {
    const dir = project({ Deliveryfile: DELIVERYFILE, 'compose.yml': COMPOSE });
    const r = plan(dir, `--env ${env}`, ['--env', env]);
    expect(r.status).toBe(2);
    expect(oneLine(r.stderr)).toBe(`error: Deliveryfile:3:3 environments: no environment ${JSON.stringify(env)} (there are: qa)`);
  });

  test('a 5 MB Deliveryfile with 100,000 keys is refused before parsing', () => {
    let text = DELIVERYFILE + 'x-junk:\n';
    for (let i = 0; text.length < 5_000_000; i++) text += `  key${i}: ${'v'.repeat(30)}\n`;
    const dir = project({ Deliveryfile: text, 'compose.yml': COMPOSE });
    const r = plan(dir, '5 MB Deliveryfile');
    expect(r.status).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/^error: Deliveryfile: the Deliveryfile is 4\.\d MiB, over the limit of 1 MiB; refused before reading$/);
  });

  test('a Deliveryfile just under the cap with 50,000 keys parses in linear time and is refused for its keys', () => {
    let text = DELIVERYFILE + 'ssh:\n';
    for (let i = 0; i < 50_000; i++) text += `  k${i}: 1\n`;
    const dir = project({ Deliveryfile: text, 'compose.yml': COMPOSE });
    const r = plan(dir, 'Deliveryfile with 50,000 keys');
    expect(r.status).toBe(2);
    expect(r.stderr.split('\n')[0]).toMatch(/^error: Deliveryfile:7:3 ssh\.k0: unknown key/);
  });

  test('a 20 MB compose file is refused before it is read', () => {
    let text = COMPOSE + 'x-junk: |\n';
    const line = `  ${'x'.repeat(98)}\n`;
    text += line.repeat(Math.ceil(20_000_000 / line.length));
    const dir = project({ Deliveryfile: DELIVERYFILE, 'compose.yml': text });
    const r = plan(dir, '20 MB compose file');
    expect(r.status).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/^error: Deliveryfile:5:\d+ environments\.qa\.files\[0\]: compose file compose\.yml is 19\.\d MiB, over the limit of 1 MiB; refused before reading$/);
  });

  test.each([10_000, 20_000, 40_000])('a compose map of %i keys is parsed (duplicate keys checked in linear time)', (n) => {
    let text = 'services:\n  web:\n    image: nginx:1\n    environment:\n';
    for (let i = 0; i < n; i++) text += `      V${i}: "1"\n`;
    const dir = project({ Deliveryfile: DELIVERYFILE, 'compose.yml': text });
    const r = plan(dir, `compose map of ${n} keys`);
    expect(r.status, r.stderr).toBe(0);
  });

  test('a duplicate key deep in a big map is found', () => {
    let text = 'services:\n  web:\n    image: nginx:1\n    environment:\n';
    for (let i = 0; i < 20_000; i++) text += `      V${i}: "1"\n`;
    text += '      V7: "2"\n';
    const dir = project({ Deliveryfile: DELIVERYFILE, 'compose.yml': text });
    const r = plan(dir, 'duplicate key after 20,000 keys');
    expect(r.status).toBe(2);
    expect(oneLine(r.stderr)).toBe('error: compose.yml:20005:7: invalid YAML: duplicate key "V7" (map keys must be unique)');
  });

  test('an env file and a compose file that are links to /etc/passwd are refused', () => {
    const dir = project({ Deliveryfile: DELIVERYFILE.replace('files: [compose.yml]', 'files: [compose.yml]\n    env_files: [prod.env]'), 'compose.yml': COMPOSE });
    symlinkSync('/etc/passwd', path.join(dir, 'prod.env'));
    const r = plan(dir, 'env file linked to /etc/passwd');
    expect(r.status).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/^error: Deliveryfile:6:\d+ environments\.qa\.env_files\[0\]: prod\.env resolves to \/etc\/passwd, outside the Deliveryfile's folder .*; refused like "\.\.\/"/);
    const d2 = project({ Deliveryfile: DELIVERYFILE });
    symlinkSync('/etc/passwd', path.join(d2, 'compose.yml'));
    const r2 = plan(d2, 'compose file linked to /etc/passwd');
    expect(r2.status).toBe(2);
    expect(oneLine(r2.stderr)).toMatch(/^error: Deliveryfile:5:\d+ environments\.qa\.files\[0\]: compose\.yml resolves to \/etc\/passwd/);
  });
});
