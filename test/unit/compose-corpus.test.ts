import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { loadPlan } from '../../src/adapters/load-plan';
import { ConfigurationError } from '../../src/core/errors';
import { MemoryLogger } from '../../src/core/logger';

/**
 * Real compose files written by others (test/fixtures/compose-corpus/*,
 * each source with its LICENSE and SOURCE commit), each planned as the only
 * file of a Deliveryfile next to it. manifest.json holds the expected
 * outcome of every file: "plans" (with its services), or "refused" with the
 * start of the message. A change in behaviour shows as a failure here;
 * after a deliberate change, run with UPDATE_CORPUS=1 and review the diff.
 *
 * Where a file plans and the real `docker compose config` accepts it, the
 * services must be the ones compose itself lists.
 */
const CORPUS = path.join(__dirname, '../fixtures/compose-corpus');
const MANIFEST = path.join(CORPUS, 'manifest.json');
const COMPOSE_NAME = /^(?:docker-)?compose[\w.-]*\.ya?ml$|\.ya?ml$/;

type Expected = { outcome: 'plans'; services: string[] } | { outcome: 'refused'; message: string };

function composeFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (COMPOSE_NAME.test(e.name) && /^services:/m.test(readFileSync(p, 'utf8'))) out.push(path.relative(CORPUS, p));
    }
  };
  for (const source of readdirSync(CORPUS, { withFileTypes: true })) if (source.isDirectory()) walk(path.join(CORPUS, source.name));
  return out.sort();
}

const work = mkdtempSync(path.join(tmpdir(), 'delivery-corpus-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function outcomeOf(rel: string): Promise<{ got: Expected; dir: string }> {
  const dir = path.join(work, rel.replace(/[/.]/g, '_'));
  cpSync(path.dirname(path.join(CORPUS, rel)), dir, { recursive: true });
  const file = path.basename(rel);
  writeFileSync(path.join(dir, 'Deliveryfile'), `application: corpus/app\nenvironments:\n  qa:\n    cluster: [{hosts: [127.0.0.1]}]\n    files: [${JSON.stringify(file)}]\n`);
  try {
    const p = await loadPlan({ file: path.join(dir, 'Deliveryfile'), env: 'qa', logger: new MemoryLogger(), gitSha: null, release: 'r1', now: new Date(0) });
    return { got: { outcome: 'plans', services: p.bundle.manifest.services }, dir };
  } catch (err) {
    if (!(err instanceof ConfigurationError)) throw err;
    // The message without the temporary folder, first line only.
    const message = err.message.split('\n')[0].split(dir + path.sep).join('').split(dir).join('.');
    return { got: { outcome: 'refused', message }, dir };
  }
}

const files = composeFiles();
const expected: Record<string, Expected> = existsSync(MANIFEST) ? JSON.parse(readFileSync(MANIFEST, 'utf8')) : {};
const recorded: Record<string, Expected> = {};
let compared = 0;

function composeServices(dir: string, file: string): string[] | null {
  try {
    const out = execFileSync('docker', ['compose', '-f', file, 'config', '--services'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 20_000 });
    return out.split('\n').filter(Boolean).sort();
  } catch {
    return null;
  }
}
const hasCompose = (() => {
  try {
    execFileSync('docker', ['compose', 'version'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
})();

describe('compose corpus', () => {
  test('the corpus holds real files from at least two sources, each with its licence', () => {
    expect(files.length).toBeGreaterThan(80);
    for (const source of readdirSync(CORPUS).filter((d) => statSync(path.join(CORPUS, d)).isDirectory())) {
      expect(existsSync(path.join(CORPUS, source, 'LICENSE')), source).toBe(true);
      expect(readFileSync(path.join(CORPUS, source, 'SOURCE'), 'utf8')).toMatch(/^commit [0-9a-f]{40}$/m);
    }
  });

  test.each(files)('%s', async (rel) => {
    const { got, dir } = await outcomeOf(rel);
    recorded[rel] = got;
    if (process.env.UPDATE_CORPUS) return;
    expect(got).toEqual(expected[rel]);
    if (got.outcome === 'plans' && hasCompose) {
      const real = composeServices(dir, path.basename(rel));
      if (real) {
        expect([...got.services].sort()).toEqual(real);
        compared++;
      }
    }
  });

  test.runIf(hasCompose && !process.env.UPDATE_CORPUS)('the services of most planned files were checked against docker compose config', () => {
    const plans = Object.values(expected).filter((e) => e.outcome === 'plans').length;
    console.log(`compose corpus: ${files.length} files, ${plans} plan, ${compared} checked against docker compose config`);
    expect(compared).toBeGreaterThan(plans / 2);
  });

  afterAll(() => {
    if (!process.env.UPDATE_CORPUS) return;
    const sorted = Object.fromEntries(Object.keys(recorded).sort().map((k) => [k, recorded[k]]));
    writeFileSync(MANIFEST, JSON.stringify(sorted, null, 2) + '\n');
  });
});
