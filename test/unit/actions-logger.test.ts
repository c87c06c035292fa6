import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { reportFleetRun } from '../../src/actions/cli';
import { ActionsLogger } from '../../src/actions/logger';
import { parseOutputFile } from '../e2e/actions-runner';

let dir: string;
let out: string[];
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'actions-logger-'));
  for (const f of ['output', 'summary']) writeFileSync(path.join(dir, f), '');
  vi.stubEnv('GITHUB_OUTPUT', path.join(dir, 'output'));
  vi.stubEnv('GITHUB_STEP_SUMMARY', path.join(dir, 'summary'));
  out = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  rmSync(dir, { recursive: true, force: true });
});

describe('ActionsLogger', () => {
  it('registers each secret (and each line of a key) with the runner before printing, and masks it itself', async () => {
    const l = new ActionsLogger();
    l.secret('-----BEGIN KEY-----\nAAAAlineone\nBBBBlinetwo\n-----END KEY-----\n');
    l.secret('pw-123456');
    l.secret('ab'); // too short to mask without mangling every line
    l.info('using pw-123456 and AAAAlineone');
    l.error('host h1: failed with pw-123456');
    l.warn('careful');
    await l.group('preflight pw-123456', async () => l.info('inside'));
    const text = out.join('');
    expect(text).toContain('::add-mask::AAAAlineone\n');
    expect(text).toContain('::add-mask::pw-123456\n');
    expect(text).not.toContain('::add-mask::ab\n');
    const shown = text.split('\n').filter((x) => !x.startsWith('::add-mask::'));
    expect(shown).toEqual([
      'using *** and ***',
      '::error::host h1: failed with ***',
      '::warning::careful',
      '::group::preflight ***',
      'inside',
      '::endgroup::',
      '',
    ]);
  });
});

describe('reportFleetRun', () => {
  it('writes release, hosts and result outputs, an ::error per failed host, and the summary table', async () => {
    const l = new ActionsLogger();
    const json = {
      verb: 'deploy',
      release: 'R2',
      exitCode: 5,
      hosts: [
        { host: 'h1', address: '10.0.0.1:22', result: 'rolled-back', before: 'R1', after: 'R1', seconds: 3.21, error: null },
        { host: 'h2', address: '10.0.0.2:22', result: 'failed', before: 'R1', after: 'R1', seconds: 1.5, error: 'health check failed' },
      ],
    };
    const r = await reportFleetRun('deploy prod', { code: 5, json, stdout: JSON.stringify(json) }, l, [['environment', 'prod']]);
    expect(r.release).toBe('R2');
    const outputs = parseOutputFile(readFileSync(path.join(dir, 'output'), 'utf8'));
    expect(outputs.release).toBe('R2');
    expect(JSON.parse(outputs.hosts)).toEqual(['h1', 'h2']);
    expect(JSON.parse(outputs.result)).toEqual([
      { host: 'h1', ok: false, result: 'rolled-back', release: 'R1', previous: 'R1', seconds: 3.21, error: null },
      { host: 'h2', ok: false, result: 'failed', release: 'R1', previous: 'R1', seconds: 1.5, error: 'health check failed' },
    ]);
    expect(out.join('')).toContain('::error::host h2: failed: health check failed\n');
    const summary = readFileSync(path.join(dir, 'summary'), 'utf8');
    expect(summary).toContain('<h3>deploy prod failed (exit 5)</h3>');
    expect(summary).toContain('<li>release: R2</li>');
    expect(summary).toContain('<tr><th>host</th><th>result</th><th>release</th><th>seconds</th></tr>');
    expect(summary).toContain('<tr><td>h2</td><td>failed</td><td>R1</td><td>1.5</td></tr>');
  });
});
