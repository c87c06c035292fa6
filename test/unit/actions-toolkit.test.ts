/**
 * The actions' toolkit (src/actions/toolkit.ts): the bundle's version, over
 * @actions/core's command modules without its index, writes what
 * @actions/core itself writes, call for call; from source the toolkit is
 * @actions/core's index (what @github/local-action stubs).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as core from '@actions/core';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { coreInputs } from '../../src/actions/context';
import { COMMANDS_TOOLKIT, coreIndex, coreToolkit, toolkit, type Toolkit } from '../../src/actions/toolkit';
import { parseOutputFile } from '../e2e/actions-runner';

const dir = mkdtempSync(path.join(tmpdir(), 'actions-toolkit-'));
let out: string[];
beforeEach(() => {
  out = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  process.exitCode = 0;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What `fn` writes to stdout, and the exit code it leaves. */
async function written(fn: () => unknown): Promise<{ text: string; exitCode: unknown }> {
  out = [];
  process.exitCode = 0;
  await fn();
  return { text: out.join(''), exitCode: process.exitCode };
}

const CALLS: [string, (t: Toolkit) => unknown][] = [
  ['setSecret', (t) => t.setSecret('pw-1234\nline:two')],
  ['info', (t) => t.info('plain: 100% done, a::b')],
  ['debug', (t) => t.debug('debug line\nsecond %')],
  ['warning', (t) => t.warning('careful')],
  ['warning on a line', (t) => t.warning('a, b: c', { title: 'delivery', file: 'Deliveryfile', startLine: 3, startColumn: 7 })],
  ['error', (t) => t.error('broken\r\nreally')],
  ['error on a line', (t) => t.error('bad key', { title: 'x,y:z', file: 'dir/Deliveryfile', startLine: 9, startColumn: 1 })],
  ['setFailed', (t) => t.setFailed('deploy: failed on h2')],
  ['group', (t) => t.group('preflight, h1: 50%', async () => t.info('inside'))],
  ['setOutput without GITHUB_OUTPUT', (t) => t.setOutput('result', '[{"host":"h1"}]')],
];

describe('the bundle toolkit writes what @actions/core writes', () => {
  const real = coreToolkit(core);
  it.each(CALLS)('%s', async (_name, call) => {
    vi.stubEnv('GITHUB_OUTPUT', '');
    const a = await written(() => call(COMMANDS_TOOLKIT));
    const b = await written(() => call(real));
    expect(a).toEqual(b);
    expect(a.text).not.toBe('');
  });

  it('setOutput with GITHUB_OUTPUT: the same name, value (multi-line) and heredoc form in the file', async () => {
    const outputs = (t: Toolkit, f: string) => {
      const file = path.join(dir, f);
      writeFileSync(file, '');
      vi.stubEnv('GITHUB_OUTPUT', file);
      t.setOutput('tags', 'v1\nlatest');
      t.setOutput('release', '20260101T000000Z-abc1234');
      return readFileSync(file, 'utf8');
    };
    const a = outputs(COMMANDS_TOOLKIT, 'a');
    const b = outputs(real, 'b');
    expect(parseOutputFile(a)).toEqual({ tags: 'v1\nlatest', release: '20260101T000000Z-abc1234' });
    expect(parseOutputFile(a)).toEqual(parseOutputFile(b));
    // Only the random delimiters differ.
    expect(a.replace(/ghadelimiter_[0-9a-f-]+/g, 'D')).toBe(b.replace(/ghadelimiter_[0-9a-f-]+/g, 'D'));
    expect(out.join('')).toBe('');
  });

  it('the summary is @actions/core\'s own', () => {
    expect(COMMANDS_TOOLKIT.summary).toBe(core.summary);
  });
});

describe('toolkit() from source', () => {
  it('is @actions/core\'s index (what @github/local-action stubs), inputs through core.getInput', () => {
    expect(coreIndex()?.getInput).toBe(core.getInput);
    const t = toolkit();
    expect(t).not.toBe(COMMANDS_TOOLKIT);
    expect(t.summary).toBe(core.summary);
    vi.stubEnv('INPUT_SSH-KEY', '  k  ');
    const get = coreInputs();
    expect(typeof get === 'function' && get('ssh-key')).toBe('k');
  });
});
