/**
 * The action entries imported and run the way @github/local-action does
 * (`const { run } = require(main); await run()`), with the real
 * @actions/core and inputs in INPUT_* variables: the errors a user sees
 * first name the input as action.yml does, and a bad key says what is
 * accepted. (test/e2e/actions-local-action.test.ts runs them under
 * local-action itself, against a test world.)
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { run as deploy } from '../../src/actions/deploy/main';
import { run as rollback } from '../../src/actions/rollback/main';
import { run as buildPush } from '../../src/actions/build-push/main';

const root = path.resolve(__dirname, '../..');
const ws = mkdtempSync(path.join(tmpdir(), 'actions-errors-'));
let out: string[] = [];
beforeAll(() => {
  cpSync(path.join(root, 'examples/seed'), ws, { recursive: true });
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(ws, 'key')]);
});
afterAll(() => rmSync(ws, { recursive: true, force: true }));
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  process.exitCode = 0;
});

async function runWith(fn: () => Promise<void>, inputs: Record<string, string>): Promise<{ code: number; text: string }> {
  out = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => {
    out.push(String(c));
    return true;
  });
  vi.stubEnv('GITHUB_WORKSPACE', ws);
  vi.stubEnv('SSH_AUTH_SOCK', '');
  for (const [k, v] of Object.entries(inputs)) vi.stubEnv(`INPUT_${k.toUpperCase()}`, v);
  await fn();
  const code = Number(process.exitCode ?? 0);
  return { code, text: out.join('') };
}

describe('errors in the words of action.yml', () => {
  it('rollback without environment: input "environment" is required, no CLI flag', async () => {
    const r = await runWith(rollback, { deliveryfile: 'Deliveryfile' });
    expect(r.code).toBe(2);
    expect(r.text).toContain('::error::input "environment" is required');
    expect(r.text).not.toMatch(/--env|DELIVERY_ENV/);
  });

  it('deploy without ssh-key and without an agent: input "ssh-key" is required', async () => {
    const r = await runWith(deploy, { environment: 'qa', deliveryfile: 'Deliveryfile' });
    expect(r.code).toBe(2);
    expect(r.text).toContain('::error::input "ssh-key" is required');
    expect(r.text).not.toMatch(/--ssh-key|DELIVERY_SSH_KEY/);
  });

  it('deploy with a public key as ssh-key: what is accepted, how to check; the value masked', async () => {
    const pub = readFileSync(path.join(ws, 'key.pub'), 'utf8');
    const r = await runWith(deploy, { environment: 'qa', deliveryfile: 'Deliveryfile', 'ssh-key': pub });
    expect(r.code).toBe(2);
    expect(r.text).toMatch(/::error::input "ssh-key": this is a public key; give the private key/);
    expect(r.text).toContain('ssh-keygen -y -f FILE');
    expect(r.text).toContain(`::add-mask::${pub.trim()}`);
    expect(r.text.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n')).not.toContain(pub.trim().split(' ')[1]);
  });

  it('deploy with concurrency 5000: the input named, the limit said', async () => {
    const r = await runWith(deploy, { environment: 'qa', deliveryfile: 'Deliveryfile', 'ssh-key': readFileSync(path.join(ws, 'key'), 'utf8'), concurrency: '5000' });
    expect(r.code).toBe(2);
    expect(r.text).toContain('::error::input "concurrency": expected a whole number from 1 to 1000, got "5000"');
  });

  it('a relative deliveryfile is read from GITHUB_WORKSPACE, and its error is annotated on its line', async () => {
    writeFileSync(path.join(ws, 'Broken'), 'version: 1.0\napplication: Not/Valid\nenvironments: {}\n');
    const r = await runWith(rollback, { environment: 'qa', deliveryfile: 'Broken', 'ssh-key': readFileSync(path.join(ws, 'key'), 'utf8') });
    expect(r.code).toBe(2);
    expect(r.text).toMatch(/^::error title=delivery,file=Broken,line=2,col=\d+::Broken:2:\d+ application/m);
  });

  it('a deliveryfile that is not in the workspace: the input named, where it looked', async () => {
    const r = await runWith(deploy, { environment: 'qa', deliveryfile: 'deploy/Nope' });
    expect(r.code).toBe(2);
    expect(r.text).toContain(`::error::deploy/Nope: no such file in ${ws}; give the Deliveryfile's path, relative to the workspace, in input "deliveryfile"`);
  });

  it('build-push without image: input "image" is required', async () => {
    const r = await runWith(buildPush, {});
    expect(r.code).toBe(2);
    expect(r.text).toContain('::error::input "image" is required');
  });
});
