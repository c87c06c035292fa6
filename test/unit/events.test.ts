import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkRolloutStdout, PHASES, ResultEvent } from '../../src/core/events';

const REPO = path.resolve(__dirname, '..', '..');
const ROLLOUT = path.join(REPO, 'src', 'host', 'rollout');
const FIXTURES = path.join(__dirname, 'fixtures', 'rollout-events');

// A throwaway host for rollout: its own config and state folder.
const dir = mkdtempSync(path.join(tmpdir(), 'rollout-events-'));
const config = path.join(dir, 'config');
writeFileSync(config, `ROLLOUT_ROOT=${dir}/state\nROUTER=haproxy\nROLLOUT_HOST=unit\nLOCK_WAIT=1\nMAX_BUNDLE_BYTES=4096\n`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function rollout(args: string[], opts: { input?: Buffer | string; sshCommand?: string } = {}) {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, ROLLOUT_CONFIG: config };
  if (opts.sshCommand !== undefined) env.SSH_ORIGINAL_COMMAND = opts.sshCommand;
  const r = spawnSync('bash', [ROLLOUT, ...args], { env, input: opts.input ?? '', encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function expectValid(stdout: string) {
  const { events, problems } = checkRolloutStdout(stdout);
  expect(problems).toEqual([]);
  const last = events[events.length - 1];
  expect(last.event).toBe('result');
  return { events, result: last as ResultEvent };
}

const hasCompose = (() => {
  try {
    execFileSync('docker', ['compose', 'version', '--short'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('rollout events, produced by running rollout here', () => {
  it.skipIf(!hasCompose)('version: protocol, compose and router', () => {
    const r = rollout(['version']);
    expect(r.code).toBe(0);
    const { result } = expectValid(r.stdout);
    expect(result).toMatchObject({ verb: 'version', ok: true, code: 0, protocol: 1, router: 'haproxy', host: 'unit' });
  });

  it.skipIf(!hasCompose)('preflight: version and status in one answer, with --releases the kept releases', () => {
    const r = rollout(['preflight', 'g/a', '--releases']);
    expect(r.code).toBe(0);
    const { events, result } = expectValid(r.stdout);
    expect(events).toHaveLength(1);
    expect(result).toMatchObject({ verb: 'preflight', ok: true, protocol: 1, router: 'haproxy', host: 'unit', current: null, previous: null, lock: null, releases: [] });
    expect(expectValid(rollout(['preflight', 'g/a']).stdout).result).not.toHaveProperty('releases');
    expect(rollout(['preflight', 'g/a', '--to', 'x']).code).toBe(2);
  });

  it('status, releases and list of an app that is not deployed', () => {
    for (const args of [['status', 'g/a'], ['releases', 'g/a'], ['list', 'g']]) {
      const r = rollout(args);
      expect(r.code).toBe(0);
      expectValid(r.stdout);
    }
    expect(expectValid(rollout(['status', 'g/a']).stdout).result).toMatchObject({ current: null, containers: [], lock: null });
  });

  it('refused words give a result with code 2 and an error, through SSH_ORIGINAL_COMMAND too', () => {
    for (const cmd of ['deploy g/a;id', 'frobnicate g/a', 'status ../a', 'rollback g/a --to', 'deploy g/a --deadline 1x']) {
      const r = rollout([], { sshCommand: cmd });
      expect(r.code, cmd).toBe(2);
      const { result } = expectValid(r.stdout);
      expect(result.ok).toBe(false);
      expect(result.error).toBeTruthy();
    }
  });

  it.skipIf(!hasCompose)('a bundle that is not gzip: phase received, then a refusal', () => {
    const r = rollout(['deploy', 'g/a'], { input: 'not a bundle' });
    expect(r.code).toBe(2);
    const { events } = expectValid(r.stdout);
    expect(events[0]).toMatchObject({ event: 'phase', phase: 'received', app: 'g/a' });
  });
});

describe('rollout events captured from real runs (test/bats/deploy.bats)', () => {
  // Fixtures are committed copies of .tmp/rollout-events-*.jsonl written by
  // the bats run; a fresh capture, when present, is checked as well.
  const files = readdirSync(FIXTURES).map((f) => path.join(FIXTURES, f));
  const captured = path.join(REPO, '.tmp');
  if (existsSync(captured)) {
    for (const f of readdirSync(captured).filter((f) => /^rollout-events-.*\.jsonl$/.test(f))) files.push(path.join(captured, f));
  }
  it.each(files)('%s follows the schema', (file) => {
    expect(existsSync(file)).toBe(true);
    expectValid(readFileSync(file, 'utf8'));
  });

  it('a real deploy walks the phases in protocol order', () => {
    const { events } = expectValid(readFileSync(path.join(FIXTURES, 'deploy.jsonl'), 'utf8'));
    const phases = events.flatMap((e) => (e.event === 'phase' ? [e.phase] : []));
    expect(phases).toEqual(expect.arrayContaining(['received', 'checked', 'starting', 'healthy', 'switching', 'switched']));
    const order = phases.map((p) => PHASES.indexOf(p));
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('rejects what breaks the protocol', () => {
    expect(checkRolloutStdout('{"event":"result","time":"2026-01-01T00:00:00Z","verb":"deploy","ok":true,"code":5,"app":null,"release":null,"previous":null,"color":null,"seconds":1,"error":"x"}').problems).not.toEqual([]);
    expect(checkRolloutStdout('{"event":"phase","time":"2026-01-01T00:00:00Z","phase":"warp","app":null,"release":null,"message":""}').problems).not.toEqual([]);
    expect(checkRolloutStdout('==> a human line').problems).not.toEqual([]);
  });
});
