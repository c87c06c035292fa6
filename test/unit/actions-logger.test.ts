import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { reportFleet } from '../../src/actions/report';
import type { FleetReport } from '../../src/fleet/executor';
import { ActionsLogger } from '../../src/actions/logger';
import { failAction } from '../../src/actions/run';
import { ConfigurationError } from '../../src/core/errors';
import { parseOutputFile } from '../e2e/actions-runner';

// One folder for the file: @actions/core's summary keeps the path of its first write.
const dir = mkdtempSync(path.join(tmpdir(), 'actions-logger-'));
let out: string[];
beforeEach(() => {
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
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

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

describe('reportFleet', () => {
  it('writes release, hosts and result outputs, an ::error per failed host, and a summary naming each failed host, its reason and the rollback', async () => {
    const l = new ActionsLogger();
    const report: FleetReport = {
      verb: 'deploy',
      application: 'shop/web',
      environment: 'prod',
      release: 'R2',
      dryRun: false,
      exitCode: 5,
      summary: 'deploy failed on h2; the fleet is back on R1',
      hosts: [
        { host: 'h1', address: '10.0.0.1:22', result: 'rolled-back', before: 'R1', after: 'R1', seconds: 3.21, error: null },
        { host: 'h2', address: '10.0.0.2:22', result: 'failed', before: 'R1', after: 'R1', seconds: 1.5, error: 'health check failed' },
      ],
    };
    await reportFleet(report, l, [['environment', 'prod']]);
    const outputs = parseOutputFile(readFileSync(path.join(dir, 'output'), 'utf8'));
    expect(outputs.release).toBe('R2');
    expect(JSON.parse(outputs.hosts)).toEqual(['h1', 'h2']);
    expect(JSON.parse(outputs.result)).toEqual([
      { host: 'h1', ok: false, result: 'rolled-back', release: 'R1', previous: 'R1', seconds: 3.21, error: null },
      { host: 'h2', ok: false, result: 'failed', release: 'R1', previous: 'R1', seconds: 1.5, error: 'health check failed' },
    ]);
    const text = out.join('');
    expect(text).toContain('::error::host h2: failed: health check failed\n');
    expect(text).toContain('::error::deploy: deploy failed on h2; the fleet is back on R1\n');
    expect(text).not.toMatch(/the log and the job summary/);
    const summary = readFileSync(path.join(dir, 'summary'), 'utf8');
    expect(summary).toContain('<h3>deploy prod failed (exit 5)</h3>');
    expect(summary).toContain('<li>release: R2</li>');
    expect(summary).toContain('<tr><th>host</th><th>result</th><th>release</th><th>seconds</th><th>reason</th></tr>');
    expect(summary).toContain('<tr><td>h2</td><td>failed</td><td>R1</td><td>1.5</td><td>health check failed</td></tr>');
    expect(summary).toContain('<li><code>h1</code> (10.0.0.1:22): rolled-back</li>');
    expect(summary).toContain('<li><code>h2</code> (10.0.0.2:22): failed — health check failed</li>');
    expect(summary).toContain('<code>delivery rollback --env prod</code>');
    expect(summary).toContain('<code>actions/rollback</code>');
  });

  it('a successful run: no failure notes, no reason column', async () => {
    const l = new ActionsLogger();
    await reportFleet(
      { verb: 'rollback', application: 'a/b', environment: 'qa', release: 'R1', dryRun: false, exitCode: 0, summary: 'ok', hosts: [{ host: 'h1', address: 'a:22', result: 'switched', before: 'R2', after: 'R1', seconds: 1, error: null }] },
      l,
    );
    const summary = readFileSync(path.join(dir, 'summary'), 'utf8');
    expect(summary).toContain('<h3>rollback qa</h3>');
    expect(summary).not.toContain('reason');
    expect(summary).not.toContain('delivery rollback');
    expect(out.join('')).not.toContain('::error');
  });
});

describe('failAction: errors where users look', () => {
  it('a file error is an ::error on its file, line and column (workspace-relative), one per problem', () => {
    const ws = mkdtempSync(path.join(tmpdir(), 'ws-'));
    try {
      writeFileSync(path.join(ws, 'Deliveryfile'), 'x');
      const l = new ActionsLogger();
      const err = new ConfigurationError(
        `${ws}/Deliveryfile:5:5 environments.prod: missing key "files"\n${ws}/Deliveryfile:6:5 environments.prod.filez: unknown key`,
        { file: `${ws}/Deliveryfile`, line: 5, col: 5 },
      );
      expect(failAction(err, l, { GITHUB_WORKSPACE: ws })).toBe(2);
      const text = out.join('');
      expect(text).toContain('::error title=delivery,file=Deliveryfile,line=5,col=5::Deliveryfile:5:5 environments.prod: missing key "files"\n');
      expect(text).toContain('::error title=delivery,file=Deliveryfile,line=6,col=5::Deliveryfile:6:5 environments.prod.filez: unknown key\n');
      expect(text).not.toContain(ws);
    } finally {
      rmSync(ws, { recursive: true, force: true });
      process.exitCode = 0;
    }
  });

  it('an error without a file position is one plain ::error; a "host:22:" prefix is not taken for a file', () => {
    const l = new ActionsLogger();
    failAction(new ConfigurationError('input "environment" is required: the environment'), l, { GITHUB_WORKSPACE: '/nonexistent' });
    failAction(new ConfigurationError('10.0.0.1:22:1 refused\nsecond line'), l, { GITHUB_WORKSPACE: '/nonexistent' });
    const text = out.join('');
    expect(text).toContain('::error::input "environment" is required: the environment\n');
    expect(text).toContain('::error::10.0.0.1:22:1 refused\n');
    expect(text).not.toContain('file=');
    process.exitCode = 0;
  });
});
