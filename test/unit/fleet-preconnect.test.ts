/**
 * Preconnector (src/fleet/preconnect.ts) over the in-memory FAKE fleet:
 * warm connections are taken by the run, failures wait for it, leftovers
 * are closed. The SSH path with it is tested end to end (the CLI's deploy).
 */
import { describe, expect, it } from 'vitest';
import { deployWords } from '../../src/core/commands';
import { MemoryLogger } from '../../src/core/logger';
import { FleetRun } from '../../src/fleet/executor';
import { Preconnector } from '../../src/fleet/preconnect';
import { FakeFleet, FakeHost } from './fleet-fake';

const fleet = (n: number, behaviours: Record<number, ConstructorParameters<typeof FakeHost>[2]> = {}) =>
  new FakeFleet(Array.from({ length: n }, (_, i) => new FakeHost(`web${i + 1}`, 'r1', behaviours[i + 1] ?? {})));

describe('Preconnector', () => {
  it('a deploy takes the warm connections: one connection per host, opened before the run', async () => {
    const f = fleet(3);
    const specs = [...f.hosts.values()].map((h) => h.spec());
    const pre = new Preconnector(f);
    pre.warm(specs);
    expect([...f.hosts.values()].map((h) => h.connections)).toEqual([1, 1, 1]);
    const run = new FleetRun({ connector: pre, logger: new MemoryLogger(), timeoutSeconds: 5, verifyGraceSeconds: 1 });
    const r = await run.switch(
      'deploy',
      { application: 'g/a', environment: 'prod', release: 'r2', concurrency: 10, onFailure: 'rollback', router: 'haproxy', hosts: specs.map((host) => ({ host, batch: 0, command: deployWords('g/a', 'r2', { deadline: 5 }) })) },
      { stdin: Buffer.from('b') },
    );
    expect(r.exitCode).toBe(0);
    expect([...f.hosts.values()].map((h) => [h.connections, h.current])).toEqual([
      [1, 'r2'],
      [1, 'r2'],
      [1, 'r2'],
    ]);
    expect(pre.waiting).toBe(0);
  });

  it('a warm connection that failed fails where the run connects, with its own error; nothing changes anywhere', async () => {
    const f = fleet(2, { 2: { connect: 'host-key' } });
    const specs = [...f.hosts.values()].map((h) => h.spec());
    const pre = new Preconnector(f);
    pre.warm(specs);
    const r = await new FleetRun({ connector: pre, logger: new MemoryLogger(), timeoutSeconds: 5 }).switch(
      'deploy',
      { application: 'g/a', environment: 'prod', release: 'r2', concurrency: 10, onFailure: 'rollback', router: null, hosts: specs.map((host) => ({ host, batch: 0, command: deployWords('g/a', 'r2') })) },
      { stdin: Buffer.from('b') },
    );
    expect(r.exitCode).toBe(2);
    expect(r.hosts[1].error).toMatch(/fake host-key/);
    expect([...f.hosts.values()].map((h) => h.current)).toEqual(['r1', 'r1']);
    // the failed host was not asked again
    expect(f.hosts.get('web2')!.connections).toBe(1);
  });

  it('warms at most its limit; another address or user connects anew; close() ends what nobody took', async () => {
    const f = fleet(4);
    const specs = [...f.hosts.values()].map((h) => h.spec());
    const pre = new Preconnector(f, 2);
    pre.warm(specs);
    expect([...f.hosts.values()].map((h) => h.connections)).toEqual([1, 1, 0, 0]);
    await pre.connect({ ...specs[0], user: 'someone-else' });
    expect(f.hosts.get('web1')!.connections).toBe(2);
    await pre.connect(specs[2]);
    expect(f.hosts.get('web3')!.connections).toBe(1);
    expect(pre.waiting).toBe(2);
    const warm2 = await pre.connect(specs[1]);
    expect(pre.waiting).toBe(1);
    pre.close();
    expect(pre.waiting).toBe(0);
    // the taken connection stays usable; the untaken one (web1's warm) was closed
    expect((await warm2.run(['rollout', 'version'])).exitCode).toBe(0);
  });
});
