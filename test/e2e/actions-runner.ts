/**
 * Runs an action bundle the way the GitHub Actions runner does: `node
 * DIR/<name>/index.js` with INPUT_* variables, GITHUB_OUTPUT,
 * GITHUB_STEP_SUMMARY, GITHUB_STATE and GITHUB_EVENT_PATH (a real event
 * payload), then reads back the outputs and the summary. The bundles are
 * built from the current sources into a temporary folder
 * (`node scripts/build.mjs --out DIR`), so the tests run the same code
 * whether or not dist/ was rebuilt.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

export const ROOT = path.resolve(__dirname, '../..');

/**
 * Builds every bundle into a fresh temporary folder; returns it.
 * DELIVERY_TEST_BUNDLES=DIR uses bundles built already (e.g. `node
 * scripts/build.mjs --out DIR`), which are then not removed by cleanup.
 */
export async function buildBundles(): Promise<string> {
  if (process.env.DELIVERY_TEST_BUNDLES) return process.env.DELIVERY_TEST_BUNDLES;
  const out = mkdtempSync(path.join(tmpdir(), 'delivery-bundles-'));
  await promisify(execFile)(process.execPath, [path.join(ROOT, 'scripts/build.mjs'), '--out', out], { cwd: ROOT, timeout: 240_000 });
  return out;
}

export interface ActionRun {
  code: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  /** Everything the step produced, for secret checks (add-mask commands removed: the runner consumes them). */
  all: string;
  /** stdout and stderr as the runner would show them (without add-mask commands), for failure messages. */
  log: string;
}

/** GITHUB_OUTPUT's `name<<DELIM … DELIM` blocks (and plain `name=value` lines). */
export function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^=<]+)<<(.+)$/.exec(lines[i]);
    if (m) {
      const body: string[] = [];
      for (i++; i < lines.length && lines[i] !== m[2]; i++) body.push(lines[i]);
      out[m[1]] = body.join('\n');
    } else if (lines[i].includes('=')) {
      const k = lines[i].slice(0, lines[i].indexOf('='));
      out[k] = lines[i].slice(k.length + 1);
    }
  }
  return out;
}

export async function runAction(
  bundles: string,
  name: string,
  inputs: Record<string, string>,
  event: { name: string; payload: unknown },
  extraEnv: Record<string, string> = {},
): Promise<ActionRun> {
  const dir = mkdtempSync(path.join(tmpdir(), `gha-${name}-`));
  try {
    const files = {
      GITHUB_OUTPUT: path.join(dir, 'output'),
      GITHUB_STEP_SUMMARY: path.join(dir, 'summary'),
      GITHUB_STATE: path.join(dir, 'state'),
      GITHUB_EVENT_PATH: path.join(dir, 'event.json'),
    };
    for (const f of [files.GITHUB_OUTPUT, files.GITHUB_STEP_SUMMARY, files.GITHUB_STATE]) writeFileSync(f, '');
    writeFileSync(files.GITHUB_EVENT_PATH, JSON.stringify(event.payload));
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      GITHUB_ACTIONS: 'true',
      CI: 'true',
      GITHUB_EVENT_NAME: event.name,
      GITHUB_REPOSITORY: 'acme/shop',
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_WORKSPACE: ROOT,
      RUNNER_TEMP: dir,
      ...files,
      ...extraEnv,
    };
    for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.replace(/ /g, '_').toUpperCase()}`] = v;
    const child = spawn(process.execPath, [path.join(bundles, name, 'index.js')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)));
    const outputText = readFileSync(files.GITHUB_OUTPUT, 'utf8');
    const summary = existsSync(files.GITHUB_STEP_SUMMARY) ? readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8') : '';
    const visible = (s: string) => s.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n');
    return {
      code,
      stdout,
      stderr,
      outputs: parseOutputFile(outputText),
      summary,
      all: [visible(stdout), visible(stderr), outputText, summary, readFileSync(files.GITHUB_STATE, 'utf8')].join('\n'),
      log: visible(stdout) + visible(stderr),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The values that must never be seen, and each line of multi-line ones (a key). */
export function secretNeedles(...secrets: string[]): string[] {
  const out = new Set<string>();
  for (const s of secrets) {
    out.add(s.trim());
    for (const l of s.split('\n')) if (l.trim().length >= 8 && !/^-----/.test(l.trim())) out.add(l.trim());
  }
  return [...out].filter(Boolean);
}

export function cleanup(dir: string): void {
  if (dir === process.env.DELIVERY_TEST_BUNDLES) return;
  rmSync(dir, { recursive: true, force: true });
}
