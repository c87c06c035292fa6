/**
 * The fleet executor's modes and failure policies over an in-memory FAKE
 * fleet (test/unit/fleet-fake.ts). The SSH path is tested end to end.
 */
import { describe, expect, it } from 'vitest';
import { MemoryLogger } from '../../src/core/logger';
import type { OnFailure } from '../../src/core/types';
import { deployWords, rollbackWords } from '../../src/core/commands';
import { FleetRun, type SwitchTarget } from '../../src/fleet/executor';
import { FakeFleet, FakeHost, type FakeHostBehaviour } from './fleet-fake';

const APP = 'g/a';

function fleet(n: number, behaviours: Record<number, FakeHostBehaviour> = {}, current: string | null = 'r1') {
  return new FakeFleet(Array.from({ length: n }, (_, i) => new FakeHost(`web${i + 1}`, current, behaviours[i + 1] ?? {})));
}

/** A deploy target with the planned words (--deadline 5, as the run's timeout). */
function target(f: FakeFleet, over: Partial<SwitchTarget> & { batches?: number[][]; dryRun?: boolean } = {}, release = 'r2'): SwitchTarget {
  const hosts = [...f.hosts.values()];
  const batchOf = (i: number) => (over.batches ? over.batches.findIndex((b) => b.includes(i + 1)) : 0);
  return {
    application: APP,
    environment: 'prod',
    release,
    concurrency: 10,
    onFailure: 'rollback',
    router: 'haproxy',
    ...over,
    hosts: hosts.map((h, i) => ({ host: h.spec(), batch: batchOf(i), command: deployWords(APP, release, { deadline: 5, dryRun: over.dryRun }) })),
  };
}

const run = (f: FakeFleet, logger = new MemoryLogger(), extra = {}) => new FleetRun({ connector: f, logger, timeoutSeconds: 5, verifyGraceSeconds: 1, ...extra });
const currents = (f: FakeFleet) => [...f.hosts.values()].map((h) => h.current);
const deploys = (h: FakeHost) => h.commands.filter((c) => c.includes(' deploy ')).length;

describe('deploy', () => {
  it('switches every host, one connection per host, with --deadline', async () => {
    const f = fleet(5);
    const r = await run(f).switch('deploy', target(f), { stdin: Buffer.from('bundle') });
    expect(r.exitCode).toBe(0);
    expect(currents(f)).toEqual(['r2', 'r2', 'r2', 'r2', 'r2']);
    expect(r.hosts.map((h) => [h.result, h.before, h.after])).toEqual(Array(5).fill(['switched', 'r1', 'r2']));
    for (const h of f.hosts.values()) {
      expect(h.connections).toBe(1);
      expect(h.commands).toContain('rollout deploy g/a --release r2 --deadline 5');
    }
  });

  it('preflight: one unreachable host and one refused key change nothing anywhere (exit 2)', async () => {
    const f = fleet(5, { 2: { connect: 'unreachable' }, 4: { connect: 'host-key' } });
    const r = await run(f).switch('deploy', target(f), { stdin: Buffer.from('b') });
    expect(r.exitCode).toBe(2);
    expect(currents(f)).toEqual(Array(5).fill('r1'));
    expect([...f.hosts.values()].map(deploys)).toEqual([0, 0, 0, 0, 0]);
    expect(r.hosts.map((h) => h.result)).toEqual(['not-started', 'unreachable', 'not-started', 'refused', 'not-started']);
    expect(r.hosts[3].error).toMatch(/fake host-key/);
  });

  it('preflight refuses another protocol or another router', async () => {
    const f = fleet(3, { 1: { protocol: 2 }, 3: { router: 'traefik' } });
    const r = await run(f).switch('deploy', target(f), { stdin: Buffer.from('b') });
    expect(r.exitCode).toBe(2);
    expect(r.hosts[0].error).toMatch(/protocol 2, this client speaks 1/);
    expect(r.hosts[2].error).toMatch(/runs the traefik router, the Deliveryfile expects haproxy/);
  });

  it('preflight is one command per host; a rollout older than the verb is asked version, status and releases instead', async () => {
    const f = fleet(2, { 2: { noPreflight: true, lock: { release: 'r9', pid: 42, since: '2026-11-26T14:00:00Z' } } });
    const r = await run(f).switch('deploy', target(f), { stdin: Buffer.from('b') });
    const [h1, h2] = [...f.hosts.values()];
    expect(h1.commands[0]).toBe('rollout preflight g/a');
    expect(h1.commands.filter((c) => / (version|status|releases)\b/.test(c))).toEqual([]);
    expect(h2.commands.slice(0, 3)).toEqual(['rollout preflight g/a', 'rollout version', 'rollout status g/a']);
    // the older host's status still counts: its lock refuses the run
    expect(r.exitCode).toBe(3);
    expect(r.summary).toMatch(/locked by release r9 \(pid 42\) since 2026-11-26T14:00:00Z on web2/);
    const rb = fleet(2, { 1: { noPreflight: true } });
    for (const h of rb.hosts.values()) {
      h.releases = ['r1', 'r0'];
      h.previous = 'r0';
    }
    const back = await run(rb).switch('rollback', { ...target(rb, {}, ''), hosts: [...rb.hosts.values()].map((h) => ({ host: h.spec(), batch: 0, command: rollbackWords(APP, 'r0') })) }, { requireRelease: true });
    expect(back.exitCode).toBe(0);
    expect([...rb.hosts.values()].map((h) => h.commands.filter((c) => !/ rollback /.test(c)))).toEqual([
      ['rollout preflight g/a --releases', 'rollout version', 'rollout status g/a', 'rollout releases g/a'],
      ['rollout preflight g/a --releases'],
    ]);
  });

  it('a lock held by another deploy: exit 3 naming the holder, nothing changed', async () => {
    const f = fleet(3, { 2: { lock: { release: 'r9', pid: 42, since: '2026-11-26T14:00:00Z' } } });
    const r = await run(f).switch('deploy', target(f), { stdin: Buffer.from('b') });
    expect(r.exitCode).toBe(3);
    expect(r.summary).toMatch(/locked by release r9 \(pid 42\) since 2026-11-26T14:00:00Z on web2/);
    expect(currents(f)).toEqual(['r1', 'r1', 'r1']);
  });

  it('a lock held only while the last switch finishes (drain, prune) does not refuse the run: rollout waits for it', async () => {
    const f = fleet(2, { 2: { lock: { release: 'r1', pid: 42, since: '2026-11-26T14:00:00Z', state: 'finishing' } as never } });
    const r = await run(f).switch('deploy', target(f), { stdin: Buffer.from('b') });
    expect(r.exitCode).toBe(0);
    expect(currents(f)).toEqual(['r2', 'r2']);
  });

  it.each<[OnFailure, number, (string | null)[]]>([
    ['rollback', 5, ['r1', 'r1', 'r1', 'r1', 'r1']],
    ['stop', 7, ['r2', 'r2', 'r1', 'r1', 'r1']],
    ['continue', 7, ['r2', 'r2', 'r1', 'r2', 'r2']],
  ])('a failed health check on host 3 with on-failure %s → exit %i', async (policy, code, after) => {
    const f = fleet(5, { 3: { deployExit: 5 } });
    const r = await run(f).switch('deploy', target(f, { onFailure: policy, concurrency: 1 }), { stdin: Buffer.from('b') });
    expect(r.exitCode).toBe(code);
    expect(currents(f)).toEqual(after);
    expect(r.hosts[2].result).toBe('failed');
    if (policy === 'rollback') {
      expect(r.hosts.map((h) => h.result)).toEqual(['rolled-back', 'rolled-back', 'failed', 'not-started', 'not-started']);
      expect(f.hosts.get('web1')!.commands).toContain('rollout rollback g/a --to r1 --deadline 5');
    }
  });

  it('rolling: batches run in order and a failed batch stops the next', async () => {
    const f = fleet(6, { 3: { deployExit: 5 } });
    const r = await run(f).switch('deploy', target(f, { batches: [[1, 2], [3, 4], [5, 6]] }), { stdin: Buffer.from('b') });
    expect(r.exitCode).toBe(5);
    expect([...f.hosts.values()].map(deploys)).toEqual([1, 1, 1, 1, 0, 0]);
    expect(currents(f)).toEqual(Array(6).fill('r1'));
  });

  it('canary: the canary fails, no other host is touched', async () => {
    const f = fleet(4, { 1: { deployExit: 5 } });
    const r = await run(f).switch('deploy', target(f, { batches: [[1], [2, 3, 4]] }), { stdin: Buffer.from('b') });
    expect(r.exitCode).toBe(5);
    expect([...f.hosts.values()].map(deploys)).toEqual([1, 0, 0, 0]);
  });

  it('bounded concurrency in parallel mode', async () => {
    const f = fleet(6, Object.fromEntries(Array.from({ length: 6 }, (_, i) => [i + 1, { deployMs: 30 }])));
    let active = 0;
    let most = 0;
    const conn = f.connect.bind(f);
    f.connect = async (spec) => {
      const c = await conn(spec);
      return {
        close: () => c.close(),
        run: async (w, o) => {
          if (w[1] === 'deploy') most = Math.max(most, ++active);
          try {
            return await c.run(w, o);
          } finally {
            if (w[1] === 'deploy') active--;
          }
        },
      };
    };
    const r = await run(f).switch('deploy', target(f, { concurrency: 2 }), { stdin: Buffer.from('b') });
    expect(r.exitCode).toBe(0);
    expect(most).toBe(2);
  });

  it('a connection cut mid-switch: status on a new connection says it switched, so it counts (and is rolled back on failure)', async () => {
    const f = fleet(3, { 1: { cut: 'mid-switch' }, 3: { deployExit: 5 } });
    const r = await run(f).switch('deploy', target(f, { concurrency: 1 }), { stdin: Buffer.from('b') });
    expect(r.exitCode).toBe(5);
    expect(f.hosts.get('web1')!.connections).toBe(2);
    expect(r.hosts[0].result).toBe('rolled-back');
    expect(currents(f)).toEqual(['r1', 'r1', 'r1']);
  });

  it('a connection cut mid-transfer: not switched, the others are rolled back', async () => {
    const f = fleet(3, { 2: { cut: 'mid-transfer' } });
    const r = await run(f).switch('deploy', target(f, { concurrency: 1 }), { stdin: Buffer.from('b') });
    expect(r.exitCode).toBe(5);
    expect(r.hosts[1].error).toMatch(/cut/);
    expect(currents(f)).toEqual(['r1', 'r1', 'r1']);
  });

  it('a host past the per-host timeout is counted by its status; the timeout names itself', async () => {
    const f = fleet(2, { 2: { deployMs: 3000 } });
    const r = await new FleetRun({ connector: f, logger: new MemoryLogger(), timeoutSeconds: 1, verifyGraceSeconds: 0 }).switch('deploy', target(f), {
      stdin: Buffer.from('b'),
    });
    expect(r.hosts[1].error).toMatch(/per-host timeout \(1 s\) passed/);
    expect(r.exitCode).toBe(5);
    expect(currents(f)).toEqual(['r1', 'r1']);
  });

  it('a rollback that fails leaves a split fleet: exit 7 and the table says who runs what', async () => {
    const f = fleet(3, { 1: { rollbackExit: 1 }, 3: { deployExit: 5 } });
    const r = await run(f).switch('deploy', target(f, { concurrency: 1 }), { stdin: Buffer.from('b') });
    expect(r.exitCode).toBe(7);
    expect(r.hosts.map((h) => [h.result, h.after])).toEqual([
      ['rollback-failed', 'r2'],
      ['rolled-back', 'r1'],
      ['failed', 'r1'],
    ]);
    expect(r.summary).toMatch(/NOT on one version \(r2 on web1; r1 on web2, web3/);
  });

  it('SIGINT mid-switch: no new host starts, the running one finishes, then goes back; every host on r1 (exit 130)', async () => {
    const f = fleet(4, { 1: { deployMs: 50 } });
    const ac = new AbortController();
    const logger = new MemoryLogger();
    const p = run(f, logger, { signal: ac.signal }).switch('deploy', target(f, { concurrency: 1 }), { stdin: Buffer.from('b') });
    setTimeout(() => ac.abort(new Error('interrupted by SIGINT')), 10);
    const r = await p;
    expect(r.hosts.map((h) => h.result)).toEqual(['rolled-back', 'not-started', 'not-started', 'not-started']);
    expect(currents(f)).toEqual(['r1', 'r1', 'r1', 'r1']);
    expect(r.exitCode).toBe(130);
    expect(r.summary).toBe('cancelled by SIGINT: 1 switched host(s) went back; every host is on r1');
    expect(logger.lines).toContain('warning: interrupted (SIGINT): no new host starts; the hosts already switching finish, then the switched hosts go back');
  });

  it('an interrupt while a host still receives its bundle stops it there: it never switches', async () => {
    const f = fleet(3, { 2: { receiveMs: 2000 } });
    const ac = new AbortController();
    const p = run(f, new MemoryLogger(), { signal: ac.signal }).switch('deploy', target(f, { concurrency: 2 }), { stdin: Buffer.from('b') });
    setTimeout(() => ac.abort(new Error('interrupted by SIGINT')), 30);
    const r = await p;
    expect(r.hosts.map((h) => h.result)).toEqual(['rolled-back', 'not-started', 'rolled-back']);
    expect(r.hosts[1].error).toMatch(/interrupted before its switch began.*nothing changed on it/);
    expect(currents(f)).toEqual(['r1', 'r1', 'r1']);
    expect(r.exitCode).toBe(130);
  });

  it('an interrupt brings the switched hosts back even with on-failure stop or continue', async () => {
    for (const onFailure of ['stop', 'continue'] as const) {
      const f = fleet(3, { 2: { deployMs: 50 } });
      const ac = new AbortController();
      const p = run(f, new MemoryLogger(), { signal: ac.signal }).switch('deploy', target(f, { concurrency: 1, onFailure }), { stdin: Buffer.from('b') });
      setTimeout(() => ac.abort(new Error('interrupted by SIGTERM')), 20);
      const r = await p;
      expect(currents(f)).toEqual(['r1', 'r1', 'r1']);
      expect(r.exitCode).toBe(130);
    }
  });

  it('an interrupt before any host started: nothing changes (exit 130)', async () => {
    const f = fleet(3);
    const ac = new AbortController();
    ac.abort(new Error('interrupted by SIGINT'));
    const r = await run(f, new MemoryLogger(), { signal: ac.signal }).switch('deploy', target(f), { stdin: Buffer.from('b') });
    expect(r.hosts.map((h) => h.result)).toEqual(['not-started', 'not-started', 'not-started']);
    expect([...f.hosts.values()].map(deploys)).toEqual([0, 0, 0]);
    expect(r.exitCode).toBe(130);
    expect(r.summary).toBe('cancelled by SIGINT: no host had switched; every host is on r1');
  });

  it('an interrupt after every host switched changes nothing: the deploy is done (exit 0)', async () => {
    const f = fleet(2, { 2: { deployMs: 40 } });
    const ac = new AbortController();
    const p = run(f, new MemoryLogger(), { signal: ac.signal }).switch('deploy', target(f), { stdin: Buffer.from('b') });
    setTimeout(() => ac.abort(new Error('interrupted by SIGINT')), 10);
    const r = await p;
    expect(r.exitCode).toBe(0);
    expect(currents(f)).toEqual(['r2', 'r2']);
  });

  it('a second signal stops the waiting: the switched host goes back, the one still switching is named with the command that finishes the job', async () => {
    // web1 switched quickly; web2 takes long and, like rollout, finishes detached when the client goes away.
    const f = fleet(3, { 2: { deployMs: 2000, detached: true } });
    const first = new AbortController();
    const second = new AbortController();
    const p = run(f, new MemoryLogger(), { signal: first.signal, hurry: second.signal }).switch('deploy', target(f, { concurrency: 2 }), { stdin: Buffer.from('b') });
    setTimeout(() => first.abort(new Error('interrupted by SIGINT')), 20);
    setTimeout(() => second.abort(new Error('interrupted again by SIGTERM')), 60);
    const r = await p;
    expect(r.hosts.map((h) => h.result)).toEqual(['rolled-back', 'unknown', 'rolled-back']);
    expect(r.hosts[1].error).toMatch(/still switching to r2 and finishes on its own/);
    expect(r.exitCode).toBe(7);
    expect(r.reunite).toEqual({ release: 'r1', command: 'delivery rollback --env prod --to r1' });
    expect(r.summary).toMatch(/; to put every host on r1: delivery rollback --env prod --to r1$/);
    await f.hosts.get('web2')!.switching;
    // The command the report names does reunite the fleet.
    expect(currents(f)).toEqual(['r1', 'r2', 'r1']);
    const t = target(f, {}, 'r1');
    t.hosts = t.hosts.map((h) => ({ ...h, command: rollbackWords(APP, 'r1', { deadline: 5 }) }));
    const back = await run(f).switch('rollback', t, { requireRelease: true });
    expect(back.exitCode).toBe(0);
    expect(currents(f)).toEqual(['r1', 'r1', 'r1']);
  });

  it('a second signal, and the host still switching finishes within the short look: it goes back too (exit 130)', async () => {
    const f = fleet(2, { 1: { deployMs: 300, detached: true } });
    const first = new AbortController();
    const second = new AbortController();
    const p = run(f, new MemoryLogger(), { signal: first.signal, hurry: second.signal }).switch('deploy', target(f, { concurrency: 1 }), { stdin: Buffer.from('b') });
    setTimeout(() => first.abort(new Error('interrupted by SIGINT')), 10);
    setTimeout(() => second.abort(new Error('interrupted again by SIGINT')), 30);
    const r = await p;
    expect(r.hosts.map((h) => h.result)).toEqual(['rolled-back', 'not-started']);
    expect(r.exitCode).toBe(130);
    expect(currents(f)).toEqual(['r1', 'r1']);
  });

  it('a second signal while a host goes back: its rollback began on the host, so the report is out at once and the host gets there on its own (exit 130)', async () => {
    const f = fleet(2, { 1: { deployMs: 30, rollbackMs: 1000 } });
    const first = new AbortController();
    const second = new AbortController();
    const logger = new MemoryLogger();
    const p = run(f, logger, { signal: first.signal, hurry: second.signal }).switch('deploy', target(f, { concurrency: 1 }), { stdin: Buffer.from('b') });
    setTimeout(() => first.abort(new Error('interrupted by SIGINT')), 10);
    setTimeout(() => second.abort(new Error('interrupted again by SIGTERM')), 150);
    const r = await p;
    expect(r.hosts.map((h) => h.result)).toEqual(['going-back', 'not-started']);
    expect(r.exitCode).toBe(130);
    expect(r.summary).toBe('cancelled by SIGINT: web1 going back to r1 on the host (`delivery status --env prod` shows when it is done); every host is on r1 or on its way back');
    expect(currents(f)).toEqual(['r2', 'r1']); // not there yet
    await f.hosts.get('web1')!.switching;
    expect(currents(f)).toEqual(['r1', 'r1']);
  });

  it('--dry-run: every host checks the bundle, nothing switches', async () => {
    const f = fleet(3);
    const r = await run(f).switch('deploy', target(f, { dryRun: true }), { stdin: Buffer.from('b'), dryRun: true });
    expect(r.exitCode).toBe(0);
    expect(r.hosts.map((h) => h.result)).toEqual(['ok', 'ok', 'ok']);
    expect(currents(f)).toEqual(['r1', 'r1', 'r1']);
    expect(f.hosts.get('web1')!.commands).toContain('rollout deploy g/a --release r2 --dry-run --deadline 5');
  });

  it('live lines are prefixed by the host', async () => {
    const f = fleet(1);
    const logger = new MemoryLogger();
    await run(f, logger).switch('deploy', target(f), { stdin: Buffer.from('bundle') });
    expect(logger.lines).toEqual(expect.arrayContaining(['[web1] connecting', '[web1] uploaded 6 bytes', '[web1] healthy', '[web1] switched to r2']));
  });
});

describe('rollback --to', () => {
  it('refuses before switching any host when one host does not keep the release', async () => {
    const f = fleet(3, {}, 'r2');
    for (const h of f.hosts.values()) h.releases = ['r2', 'r1'];
    f.hosts.get('web2')!.releases = ['r2'];
    const t = target(f, {}, 'r1');
    t.hosts = t.hosts.map((h) => ({ ...h, command: rollbackWords(APP, 'r1', { deadline: 5 }) }));
    const r = await run(f).switch('rollback', t, { requireRelease: true });
    expect(r.exitCode).toBe(2);
    expect(r.hosts[1].error).toMatch(/release r1 is not kept on this host \(kept: r2\)/);
    expect(currents(f)).toEqual(['r2', 'r2', 'r2']);
  });
  it('switches every host when all keep it', async () => {
    const f = fleet(3, {}, 'r2');
    for (const h of f.hosts.values()) h.releases = ['r2', 'r1'];
    const t = target(f, {}, 'r1');
    t.hosts = t.hosts.map((h) => ({ ...h, command: rollbackWords(APP, 'r1', { deadline: 5 }) }));
    const r = await run(f).switch('rollback', t, { requireRelease: true });
    expect(r.exitCode).toBe(0);
    expect(currents(f)).toEqual(['r1', 'r1', 'r1']);
  });
});

describe('rollback without --to', () => {
  const rb = (f: FakeFleet) => {
    const t = target(f, {}, '');
    t.hosts = t.hosts.map((h) => ({ ...h, command: rollbackWords(APP, null, { deadline: 5 }) }));
    return run(f).switch('rollback', t, { requireRelease: true });
  };
  it('goes to the previous release shared by every host', async () => {
    const f = fleet(3, {}, 'r2');
    for (const h of f.hosts.values()) [h.previous, h.releases] = ['r1', ['r2', 'r1']];
    const r = await rb(f);
    expect(r.exitCode).toBe(0);
    expect(r.release).toBe('r1');
    expect(currents(f)).toEqual(['r1', 'r1', 'r1']);
    expect(f.hosts.get('web2')!.commands).toContain('rollout rollback g/a --deadline 5');
  });
  it('refuses when the hosts disagree on the previous release', async () => {
    const f = fleet(2, {}, 'r2');
    for (const h of f.hosts.values()) [h.previous, h.releases] = ['r1', ['r2', 'r1']];
    f.hosts.get('web2')!.previous = 'r0';
    const r = await rb(f);
    expect(r.exitCode).toBe(2);
    expect(r.summary).toMatch(/do not share one previous release .*web2: current r2, previous r0.*--to RELEASE/);
    expect(currents(f)).toEqual(['r2', 'r2']);
  });
});

describe('hosts that disagree', () => {
  const split = () => {
    const f = fleet(3, {}, 'r1');
    const h1 = f.hosts.get('web1')!;
    [h1.current, h1.previous, h1.releases] = ['r2', 'r1', ['r2', 'r1']];
    return f;
  };
  it('status says so in one line, with the command that reunites them', async () => {
    const f = split();
    const r = await run(f).query('status', APP, [...f.hosts.values()].map((h) => h.spec()), 10, 'prod');
    expect(r.exitCode).toBe(0);
    expect(r.summary).toBe('the hosts run different releases (r2 on web1; r1 on web2, web3); to put every host on r1: delivery rollback --env prod --to r1');
    expect(r.reunite).toEqual({ release: 'r1', command: 'delivery rollback --env prod --to r1' });
  });
  it('rollback without --to is refused with that command, and the command does it', async () => {
    const f = split();
    const t = target(f, {}, '');
    t.hosts = t.hosts.map((h) => ({ ...h, command: rollbackWords(APP, null, { deadline: 5 }) }));
    const r = await run(f).switch('rollback', t, { requireRelease: true });
    expect(r.exitCode).toBe(2);
    expect(r.summary).toMatch(/do not share one previous release .*; to put every host on r1: delivery rollback --env prod --to r1$/);
    const back = target(f, {}, 'r1');
    back.hosts = back.hosts.map((h) => ({ ...h, command: rollbackWords(APP, 'r1', { deadline: 5 }) }));
    expect((await run(f).switch('rollback', back, { requireRelease: true })).exitCode).toBe(0);
    expect(currents(f)).toEqual(['r1', 'r1', 'r1']);
  });
  it('deploy warns with the command before it starts', async () => {
    const f = split();
    const logger = new MemoryLogger();
    const r = await run(f, logger).switch('deploy', target(f, {}, 'r3'), { stdin: Buffer.from('b') });
    expect(r.exitCode).toBe(0);
    expect(logger.lines).toContain('warning: the hosts run different releases (r2 on web1; r1 on web2, web3); to put every host on r1: delivery rollback --env prod --to r1');
  });
});

describe('list (preview cleanup) through the fleet', () => {
  it('an unreachable host is reported unreachable, the others answer', async () => {
    const f = fleet(2, { 2: { connect: 'unreachable' } });
    const r = await run(f).query('list', 'g', [...f.hosts.values()].map((h) => h.spec()), 10);
    expect(r.hosts.map((h) => h.result)).toEqual(['ok', 'unreachable']);
    expect(r.details?.web1?.apps).toEqual([{ app: 'g/a', current: 'r1' }]);
    expect(r.summary).toBe('1 of 2 hosts did not answer list (unreachable: web2)');
  });
});

describe('status, releases, remove', () => {
  it('one answer per host; an unreachable host makes exit 5', async () => {
    const f = fleet(3, { 3: { connect: 'unreachable' } });
    const r = await run(f).query('status', APP, [...f.hosts.values()].map((h) => h.spec()), 10);
    expect(r.exitCode).toBe(5);
    expect(r.hosts.map((h) => [h.result, h.before])).toEqual([
      ['ok', 'r1'],
      ['ok', 'r1'],
      ['unreachable', null],
    ]);
  });
});

describe('rollback --confirm: the preflight on the rollback\'s own channel', () => {
  const confirmTarget = (f: FakeFleet, to: string | null, over: Partial<SwitchTarget> & { batches?: number[][] } = {}) => {
    const t = target(f, over, to ?? '');
    t.hosts = t.hosts.map((h) => ({ ...h, command: rollbackWords(APP, to, { deadline: 5, confirm: true }) }));
    return t;
  };
  const ups = (f: FakeFleet) => [...f.hosts.values()].map((h) => h.confirmWords);
  const asked = (f: FakeFleet, verb: string) => [...f.hosts.values()].map((h) => h.commands.filter((c) => c.startsWith(`rollout ${verb} `)).length);

  it('one command per host: each answers, the fleet agrees, then each is told go with the shared target', async () => {
    const f = fleet(3, {}, 'r2');
    for (const h of f.hosts.values()) (h.releases = ['r2', 'r1']), (h.previous = 'r1');
    const logger = new MemoryLogger();
    const r = await run(f, logger).switch('rollback', confirmTarget(f, null, { batches: [[1], [2, 3]] }), { requireRelease: true });
    expect(r.exitCode).toBe(0);
    expect(currents(f)).toEqual(['r1', 'r1', 'r1']);
    expect(ups(f)).toEqual([['go r1'], ['go r1'], ['go r1']]);
    // no separate preflight round trip
    expect(asked(f, 'preflight')).toEqual([0, 0, 0]);
    expect(asked(f, 'rollback')).toEqual([1, 1, 1]);
    expect(r.hosts.map((h) => [h.result, h.before, h.after])).toEqual(Array(3).fill(['switched', 'r2', 'r1']));
    expect(logger.lines).toContain('[web1] preflight ok (current r2)');
  });

  it('a host that does not keep the target: every host is released without a switch (stdin ends), exit 2', async () => {
    const f = fleet(3, {}, 'r2');
    for (const h of f.hosts.values()) (h.releases = ['r2', 'r1']), (h.previous = 'r1');
    f.hosts.get('web3')!.releases = ['r2'];
    const r = await run(f).switch('rollback', confirmTarget(f, 'r1'), { requireRelease: true });
    expect(r.exitCode).toBe(2);
    expect(r.summary).toBe('release r1 is missing on web3; no host was switched');
    expect(currents(f)).toEqual(['r2', 'r2', 'r2']);
    expect(ups(f)).toEqual([[''], [''], ['']]);
  });

  it('hosts that do not share one previous release: released, and the summary names the command that reunites them', async () => {
    const f = fleet(2, {}, 'r2');
    for (const h of f.hosts.values()) h.releases = ['r2', 'r1', 'r0'];
    f.hosts.get('web1')!.previous = 'r1';
    f.hosts.get('web2')!.previous = 'r0';
    const r = await run(f).switch('rollback', confirmTarget(f, null), { requireRelease: true });
    expect(r.exitCode).toBe(2);
    expect(r.summary).toMatch(/do not share one previous release/);
    expect(ups(f)).toEqual([[''], ['']]);
    expect(currents(f)).toEqual(['r2', 'r2']);
  });

  it('a host whose rollout is older than --confirm: its preflight is asked, then the words without --confirm; the others confirm', async () => {
    const f = fleet(2, { 2: { noConfirm: true } }, 'r2');
    for (const h of f.hosts.values()) (h.releases = ['r2', 'r1']), (h.previous = 'r1');
    const r = await run(f).switch('rollback', confirmTarget(f, null), { requireRelease: true });
    expect(r.exitCode).toBe(0);
    expect(currents(f)).toEqual(['r1', 'r1']);
    expect(f.hosts.get('web1')!.commands).toEqual(['rollout rollback g/a --deadline 5 --confirm']);
    expect(f.hosts.get('web2')!.commands).toEqual(['rollout rollback g/a --deadline 5 --confirm', 'rollout preflight g/a --releases', 'rollout rollback g/a --deadline 5']);
  });

  it('a locked host: refused as locked (exit 3) with the host\'s words; the others are released unchanged', async () => {
    const f = fleet(2, { 2: { lock: { release: 'r9', pid: 42, since: '2026-01-01T00:00:00Z' } } }, 'r2');
    for (const h of f.hosts.values()) (h.releases = ['r2', 'r1']), (h.previous = 'r1');
    const r = await run(f).switch('rollback', confirmTarget(f, null), { requireRelease: true });
    expect(r.exitCode).toBe(3);
    expect(r.summary).toMatch(/^g\/a is locked by release r9 \(pid 42\) since 2026-01-01T00:00:00Z; waited 1s on web2; nothing was changed$/);
    expect(ups(f)).toEqual([[''], []]);
    expect(currents(f)).toEqual(['r2', 'r2']);
  });

  it('a host already on the target is left as it is (released), the others switch', async () => {
    const f = fleet(2, {}, 'r2');
    for (const h of f.hosts.values()) (h.releases = ['r2', 'r1']), (h.previous = 'r1');
    f.hosts.get('web2')!.current = 'r1';
    const r = await run(f).switch('rollback', confirmTarget(f, 'r1'), { requireRelease: true });
    expect(r.exitCode).toBe(0);
    expect(r.hosts.map((h) => h.result)).toEqual(['switched', 'unchanged']);
    expect(ups(f)).toEqual([['go r1'], ['']]);
  });

  it('interrupted before a later batch: that batch is released unchanged, the switched host goes back', async () => {
    const f = fleet(2, { 1: { rollbackMs: 40 } }, 'r2');
    for (const h of f.hosts.values()) (h.releases = ['r2', 'r1']), (h.previous = 'r1');
    const ac = new AbortController();
    const pending = run(f, new MemoryLogger(), { signal: ac.signal }).switch('rollback', confirmTarget(f, null, { batches: [[1], [2]] }), { requireRelease: true });
    setTimeout(() => ac.abort('SIGINT'), 10);
    const r = await pending;
    expect(r.exitCode).toBe(130);
    expect(ups(f)).toEqual([['go r1'], ['']]);
    expect(currents(f)).toEqual(['r2', 'r2']);
  });
});
