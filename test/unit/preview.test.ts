import { describe, expect, it, test } from 'vitest';
import { ConfigurationError } from '../../src/core/errors';
import { commentMarker, parseDuration, previewComment, previewNumberOf, pullRequestOf, releaseTime, stalePreviews } from '../../src/core/preview';

test.each([
  ['0', 0],
  ['90s', 90],
  ['30m', 1800],
  ['12h', 43_200],
  ['7d', 604_800],
  ['2w', 1_209_600],
  [' 3d ', 259_200],
])('parseDuration(%j) = %d', (t, s) => expect(parseDuration(t)).toBe(s));

test.each(['', '7', 'x', '-1d', '1.5h', '7 days'])('parseDuration(%j) is refused', (t) => {
  expect(() => parseDuration(t)).toThrow(ConfigurationError);
  expect(() => parseDuration(t)).toThrow(/cleanup-older-than/);
});

test('releaseTime', () => {
  expect(releaseTime('20261126T141000Z-abc1234')?.toISOString()).toBe('2026-11-26T14:10:00.000Z');
  expect(releaseTime('hand-made')).toBeNull();
  expect(releaseTime(null)).toBeNull();
});

test.each([
  ['g/app-pr-12', 12],
  ['g/app-pr-0', null],
  ['g/app-pr-12x', null],
  ['g/app', null],
  ['g/apple-pr-3', null],
  ['g/app-pr-pr-3', null],
])('previewNumberOf(%s, g/app)', (app, n) => expect(previewNumberOf(app, 'g/app')).toBe(n));

describe('stalePreviews', () => {
  const now = new Date('2026-11-26T12:00:00Z');
  const apps = [
    { app: 'g/app', current: '20261101T000000Z-aaaaaaa' },
    { app: 'g/app-pr-1', current: '20261120T000000Z-aaaaaaa' }, // closed, 6.5 days old
    { app: 'g/app-pr-1', current: '20261126T110000Z-bbbbbbb' }, // …but 1 h old on another host
    { app: 'g/app-pr-2', current: '20261101T000000Z-ccccccc' }, // open
    { app: 'g/app-pr-3', current: 'manual' }, // closed, age unknown: counts as old
    { app: 'g/app-pr-4', current: '20261125T000000Z-ddddddd' }, // closed, 1.5 days
    { app: 'g/other-pr-5', current: '20261101T000000Z-eeeeeee' }, // another app of the group
  ];
  const open = (n: number) => n === 2;
  it('removes previews of PRs no longer open, older than the threshold (newest host decides)', () => {
    expect(stalePreviews(apps, 'g/app', open, now, 0, null).map((s) => s.app)).toEqual(['g/app-pr-1', 'g/app-pr-3', 'g/app-pr-4']);
    expect(stalePreviews(apps, 'g/app', open, now, 86_400, null).map((s) => s.app)).toEqual(['g/app-pr-3', 'g/app-pr-4']);
    expect(stalePreviews(apps, 'g/app', open, now, 7 * 86_400, null).map((s) => s.app)).toEqual(['g/app-pr-3']);
  });
  it('never removes the preview of this run', () => {
    expect(stalePreviews(apps, 'g/app', open, now, 0, 4).map((s) => s.app)).toEqual(['g/app-pr-1', 'g/app-pr-3']);
  });
});

test('pullRequestOf reads real pull_request payloads and ignores others', () => {
  expect(pullRequestOf({ action: 'opened', number: 7, pull_request: { number: 7, head: { sha: 'abc' } } })).toEqual({ number: 7, action: 'opened', sha: 'abc' });
  expect(pullRequestOf({ action: 'closed', pull_request: { number: 8 } })).toEqual({ number: 8, action: 'closed', sha: null });
  expect(pullRequestOf({ ref: 'refs/heads/main' })).toBeNull();
  expect(pullRequestOf(null)).toBeNull();
});

test('previewComment carries the marker, the URL and the release; a removal says so', () => {
  const c = previewComment({ base: 'g/app', application: 'g/app-pr-3', url: 'https://qa/pr-3/', release: 'R1', sha: '0123456789' });
  expect(c.startsWith(commentMarker('g/app'))).toBe(true);
  expect(c).toContain('[https://qa/pr-3/](https://qa/pr-3/)');
  expect(c).toContain('| `g/app-pr-3` | `R1` | `0123456` |');
  const r = previewComment({ base: 'g/app', application: 'g/app-pr-3', url: null, release: null, sha: null, removed: true });
  expect(r).toContain(commentMarker('g/app'));
  expect(r).toMatch(/Preview removed/);
});
