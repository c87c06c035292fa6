/** Small pieces of the fleet: jump host syntax, event lines, the final table, run words. */
import { describe, expect, it } from 'vitest';
import { lineSplitter } from '../../src/core/protocol';
import { parseEventLine, protocolProblem } from '../../src/core/protocol-events';
import type { FleetReport } from '../../src/fleet/executor';
import { formatReport } from '../../src/fleet/report';
import { parseJumpHost } from '../../src/ssh/connection';

describe('parseJumpHost', () => {
  it.each([
    ['bastion.example.org', { user: null, host: 'bastion.example.org', port: 22 }],
    ['ops@10.0.0.1:2200', { user: 'ops', host: '10.0.0.1', port: 2200 }],
    ['[::1]:2222', { user: null, host: '::1', port: 2222 }],
  ])('%s', (text, want) => expect(parseJumpHost(text)).toEqual(want));
  it.each(['a b', 'host:99999', 'user@', 'h;rm'])('refuses %s', (text) => expect(() => parseJumpHost(text)).toThrow(/jump-host: expected \[user@\]host\[:port\]/));
});

describe('events', () => {
  it('reads phase, log and result lines; anything else is unknown, never fatal', () => {
    expect(parseEventLine('{"event":"phase","time":"t","phase":"pulling","app":"g/a","release":"r","message":"m"}').event).toBe('phase');
    const r = parseEventLine('{"event":"result","verb":"status","ok":true,"code":0,"current":"r1","lock":null,"extra":1}');
    expect(r).toMatchObject({ event: 'result', current: 'r1', extra: 1 });
    expect(parseEventLine('not json')).toEqual({ event: 'unknown', line: 'not json' });
    expect(parseEventLine('{"event":"result"}').event).toBe('unknown');
  });
  it('splits a stream into lines across chunks', () => {
    const lines: string[] = [];
    const s = lineSplitter((l) => lines.push(l));
    s.push('a\nb');
    s.push('c\r\n\nd');
    s.end();
    expect(lines).toEqual(['a', 'bc', 'd']);
  });
});

it('the final table: host, result, before, after, seconds, error', () => {
  const r: FleetReport = {
    verb: 'deploy',
    application: 'g/a',
    environment: 'prod',
    release: 'r2',
    dryRun: false,
    exitCode: 5,
    summary: 'failed (web2: failed); every host is on r1',
    hosts: [
      { host: 'web1', address: 'a:22', result: 'rolled-back', before: 'r1', after: 'r1', seconds: 3.14, error: null },
      { host: 'web2', address: 'b:22', result: 'failed', before: 'r1', after: 'r1', seconds: 2, error: 'rollout exit 5: unhealthy' },
    ],
  };
  expect(formatReport(r)).toBe(
    [
      'host  result       before  after  seconds  error',
      '----  -----------  ------  -----  -------  -------------------------',
      'web1  rolled-back  r1      r1     3.1      -',
      'web2  failed       r1      r1     2.0      rollout exit 5: unhealthy',
      '',
      'deploy g/a (prod): failed (web2: failed); every host is on r1 [exit 5]',
      '',
    ].join('\n'),
  );
});

describe('protocolProblem', () => {
  it('is null for a protocol-1 event and names what differs otherwise', () => {
    const phase = parseEventLine('{"event":"phase","time":"2026-11-26T14:00:00Z","phase":"pulling","app":"g/a","release":"r1","message":"m"}');
    expect(protocolProblem(phase)).toBeNull();
    const newer = parseEventLine('{"event":"phase","time":"2026-11-26T14:00:00Z","phase":"warming","app":"g/a","release":"r1","message":"m"}');
    expect(newer.event).toBe('phase');
    expect(protocolProblem(newer)).toMatch(/^phase: /);
  });
});

it('the status table reads containers, last run and lock from the typed result (no casts)', () => {
  const d = parseEventLine(
    '{"event":"result","time":"2026-11-26T14:00:00Z","verb":"status","ok":true,"code":0,"app":"g/a","release":null,"previous":"r1","color":"green","seconds":0,"error":null,"current":"r2","containers":[{"service":"web","name":"x","state":"running","health":"healthy"}],"last":{"release":"r2","result":"ok","time":"2026-11-26T14:00:00Z","seconds":3},"lock":{"release":"r3","pid":7,"since":"2026-11-26T14:01:00Z"},"images":{"web":"reg/app@sha256:ab"}}',
  );
  expect(d.event).toBe('result');
  const r: FleetReport = {
    verb: 'status',
    application: 'g/a',
    environment: 'prod',
    release: null,
    dryRun: false,
    exitCode: 0,
    summary: '1 hosts on r2',
    hosts: [{ host: 'web1', address: 'a:22', result: 'ok', before: 'r2', after: 'r2', seconds: 0.1, error: null }],
    details: { web1: d.event === 'result' ? d : null },
  };
  expect(formatReport(r).split('\n')[2]).toBe('web1  ok      r2       r1        green  web:healthy  r2 ok     r3 (pid 7)  -');
});

it('the tolerant reader is the strict schema widened: a newer host value still reads, and protocolProblem names it', () => {
  const v = parseEventLine('{"event":"result","time":"2026-11-26T14:00:00Z","verb":"version","ok":true,"code":0,"app":null,"release":null,"previous":null,"color":null,"seconds":0,"error":null,"protocol":1,"router":"caddy","future":{"x":1}}');
  expect(v).toMatchObject({ event: 'result', verb: 'version', router: 'caddy', future: { x: 1 } });
  expect(protocolProblem(v)).toMatch(/router/);
  // a field of the wrong JSON type is not the protocol: the line is unknown, never a crash
  expect(parseEventLine('{"event":"result","verb":"status","ok":true,"code":0,"containers":"many"}').event).toBe('unknown');
});
