/** The verdict of a fleet run (src/fleet/verdict.ts): pure, from the hosts' outcomes alone. */
import { describe, expect, it } from 'vitest';
import { reuniteCommand, reuniteTarget, verdict, whereEach, type HostOutcome } from '../../src/fleet/verdict';

const h = (name: string, result: HostOutcome['result'], after: string | null): HostOutcome => ({ name, result, after });
const base = { release: 'r2', before: 'r1' as string | null, dryRun: false, interrupted: null as string | null, environment: 'prod' };

describe('verdict', () => {
  it.each<[string, HostOutcome[], Partial<typeof base>, number, string]>([
    ['every host switched', [h('a', 'switched', 'r2'), h('b', 'unchanged', 'r2')], {}, 0, '2 hosts on r2'],
    ['dry run', [h('a', 'ok', 'r1'), h('b', 'ok', 'r1')], { dryRun: true }, 0, 'dry run ok on 2 hosts'],
    ['a failed host, the others back: one release', [h('a', 'rolled-back', 'r1'), h('b', 'failed', 'r1'), h('c', 'not-started', 'r1')], {}, 5, 'failed (b: failed); every host is on r1'],
    ['only locks', [h('a', 'locked', 'r1'), h('b', 'not-started', 'r1')], {}, 3, 'failed (a: locked); every host is on r1'],
    ['cancelled before any switch', [h('a', 'not-started', 'r1'), h('b', 'not-started', 'r1')], { interrupted: 'SIGINT' }, 130, 'cancelled by SIGINT: no host had switched; every host is on r1'],
    ['cancelled, one went back', [h('a', 'rolled-back', 'r1'), h('b', 'not-started', 'r1')], { interrupted: 'SIGTERM' }, 130, 'cancelled by SIGTERM: 1 switched host(s) went back; every host is on r1'],
    ['cancelled twice, one still going back on the host', [h('a', 'going-back', 'r1'), h('b', 'rolled-back', 'r1'), h('c', 'not-started', 'r1')], { interrupted: 'SIGINT' }, 130, 'cancelled by SIGINT: 1 switched host(s) went back, a going back to r1 on the host (`delivery status --env prod` shows when it is done); every host is on r1 or on its way back'],
    ['an interrupt after the last host switched: done', [h('a', 'switched', 'r2'), h('b', 'switched', 'r2')], { interrupted: 'SIGINT' }, 0, '2 hosts on r2'],
  ])('%s', (_n, hosts, over, code, summary) => {
    const v = verdict({ ...base, ...over, hosts });
    expect([v.exitCode, v.summary, v.reunite]).toEqual([code, summary, null]);
  });

  it('a split fleet: exit 7, who runs what, and the command that reunites it on the release before', () => {
    const v = verdict({ ...base, hosts: [h('a', 'rollback-failed', 'r2'), h('b', 'rolled-back', 'r1'), h('c', 'failed', 'r1')] });
    expect(v.exitCode).toBe(7);
    expect(v.summary).toBe('the fleet is NOT on one version (r2 on a; r1 on b, c; unknown: a) after: a: rollback-failed, c: failed; to put every host on r1: delivery rollback --env prod --to r1');
    expect(v.reunite).toEqual({ release: 'r1', command: 'delivery rollback --env prod --to r1' });
  });

  it('split after an interrupt names the interrupt and the host still switching', () => {
    const v = verdict({ ...base, interrupted: 'SIGINT', hosts: [h('a', 'rolled-back', 'r1'), h('b', 'unknown', 'r1')] });
    expect(v.exitCode).toBe(7);
    expect(v.summary).toMatch(/^the fleet is NOT on one version \(r1 on a, b; unknown: b\) after: interrupted by SIGINT, b: unknown; to put every host on r1: /);
  });

  it('without an agreed release before, the release the others left wins', () => {
    const v = verdict({ ...base, before: null, hosts: [h('a', 'failed', 'r1'), h('b', 'switched', 'r2'), h('c', 'failed', 'r1')] });
    expect(v.reunite?.release).toBe('r1');
  });
});

describe('reuniteTarget', () => {
  it('null when the hosts agree', () => expect(reuniteTarget([{ name: 'a', current: 'r1' }, { name: 'b', current: 'r1' }])).toBeNull());
  it('a deploy that stopped half way: back to the release the others left (even when it is the minority)', () =>
    expect(
      reuniteTarget([
        { name: 'a', current: 'r2', previous: 'r1' },
        { name: 'b', current: 'r2', previous: 'r1' },
        { name: 'c', current: 'r1', previous: 'r0' },
      ]),
    ).toBe('r1'));
  it('else the release most hosts run', () =>
    expect(
      reuniteTarget([
        { name: 'a', current: 'r5', previous: 'r4' },
        { name: 'b', current: 'r7', previous: 'r6' },
        { name: 'c', current: 'r7', previous: 'r6' },
      ]),
    ).toBe('r7'));
  it('a host without the app does not win', () => expect(reuniteTarget([{ name: 'a', current: null }, { name: 'b', current: 'r1' }])).toBe('r1'));
});

it('whereEach and reuniteCommand', () => {
  expect(whereEach([{ name: 'a', current: 'r2' }, { name: 'b', current: null }, { name: 'c', current: 'r2' }])).toBe('r2 on a, c; (none) on b');
  expect(reuniteCommand(null, 'r1')).toBe('delivery rollback --env ENV --to r1');
});
