/** The exact words of every remote verb (src/core/commands.ts), as Kamal tests its command builders. */
import { describe, expect, it } from 'vitest';
import { commandLine, deployWords, listWords, preflightWords, releasesWords, removeWords, rollbackWords, statusWords, versionWords } from '../../src/core/commands';
import { VERBS } from '../../src/core/events';
import { planRemove, planRollback } from '../../src/core/plan';
import type { HostSpec } from '../../src/core/types';

describe('every verb, word for word', () => {
  it.each<[string, string[], string]>([
    ['deploy', deployWords('g/a', 'r1'), 'rollout deploy g/a --release r1'],
    ['deploy --deadline', deployWords('g/a', 'r1', { deadline: 600 }), 'rollout deploy g/a --release r1 --deadline 600'],
    ['deploy --dry-run', deployWords('g/a', 'r1', { dryRun: true, deadline: 600 }), 'rollout deploy g/a --release r1 --dry-run --deadline 600'],
    ['deploy, a fractional deadline rounds up', deployWords('g/a', 'r1', { deadline: 0.2 }), 'rollout deploy g/a --release r1 --deadline 1'],
    ['rollback to the previous', rollbackWords('g/a', null), 'rollout rollback g/a'],
    ['rollback --to', rollbackWords('g/a', 'r0', { deadline: 30 }), 'rollout rollback g/a --to r0 --deadline 30'],
    ['rollback --confirm', rollbackWords('g/a', null, { deadline: 30, confirm: true }), 'rollout rollback g/a --deadline 30 --confirm'],
    ['status', statusWords('g/a'), 'rollout status g/a'],
    ['releases', releasesWords('g/a'), 'rollout releases g/a'],
    ['list', listWords('g'), 'rollout list g'],
    ['remove', removeWords('g/a-pr-7'), 'rollout remove g/a-pr-7'],
    ['version', versionWords(), 'rollout version'],
    ['preflight', preflightWords('g/a'), 'rollout preflight g/a'],
    ['preflight --releases', preflightWords('g/a', { releases: true }), 'rollout preflight g/a --releases'],
  ])('%s', (_name, words, line) => expect(commandLine(words)).toBe(line));

  it('has a builder for every verb rollout knows', () => {
    const built = [deployWords('g/a', 'r'), rollbackWords('g/a', null), statusWords('g/a'), releasesWords('g/a'), listWords('g'), removeWords('g/a'), versionWords(), preflightWords('g/a')].map((w) => w[1]);
    expect([...built].sort()).toEqual([...VERBS].sort());
  });
});

const hosts = (n: number): HostSpec[] =>
  Array.from({ length: n }, (_, i) => ({ name: `h${i + 1}`, host: `10.0.0.${i + 1}`, port: 22, hostKeys: [], httpPort: 80, source: 'test' }));
const base = { application: 'g/a', environment: 'prod', mode: 'rolling' as const, concurrency: 10, batch: 2, canary: 1, onFailure: 'rollback' as const, router: null, hosts: hosts(3) };

describe('rollback and remove are planned like deploy', () => {
  it('rollback --to: batches, the words with the default deadline, and its preflight', () => {
    const p = planRollback({ ...base, to: 'r0' });
    expect(p.verb).toBe('rollback');
    expect(p.release).toBe('r0');
    expect(p.steps.map((s) => [s.host.name, s.batch, commandLine(s.command)])).toEqual([
      ['h1', 0, 'rollout rollback g/a --to r0 --deadline 600 --confirm'],
      ['h2', 0, 'rollout rollback g/a --to r0 --deadline 600 --confirm'],
      ['h3', 1, 'rollout rollback g/a --to r0 --deadline 600 --confirm'],
    ]);
    expect(p.preflight.map(commandLine)).toEqual(['rollout preflight g/a --releases']);
  });
  it('rollback without --to: each host goes to its previous release (preflight checks they agree)', () => {
    const p = planRollback({ ...base, to: null, deadline: 90 });
    expect(p.release).toBeNull();
    expect(commandLine(p.steps[0].command)).toBe('rollout rollback g/a --deadline 90 --confirm');
  });
  it('remove', () => {
    const p = planRemove({ ...base, mode: 'parallel' });
    expect(p.steps.map((s) => commandLine(s.command))).toEqual(Array(3).fill('rollout remove g/a'));
    expect(p.preflight).toEqual([]);
  });
  it('no hosts is an error, not a silent no-op', () => {
    expect(() => planRollback({ ...base, hosts: [], to: null })).toThrow(/environment prod: no hosts to rollback/);
  });
});
