/**
 * FAKE: an in-memory fleet of hosts that answer like rollout (docs/protocol.md)
 * without SSH or Docker, so the fleet's modes and failure policies can be
 * unit-tested. The real path (ssh2 + sshd + rollout + Docker) is tested end
 * to end in test/e2e/fleet-*.test.ts.
 */
import type { HostSpec } from '../../src/core/types';
import { TransportError, type Connector, type HostConnection, type RunOptions, type RunResult } from '../../src/core/protocol';
import type { ResultEvent, RolloutEvent } from '../../src/core/protocol';

export interface FakeHostBehaviour {
  /** deploy exits with this code (5 = health check failed) and changes nothing. */
  deployExit?: number;
  /** connect fails with this kind. */
  connect?: 'unreachable' | 'host-key' | 'auth';
  /** the connection is cut during deploy: before the host switched, or after (the host finishes on its own). */
  cut?: 'mid-transfer' | 'mid-switch';
  protocol?: number;
  router?: string;
  lock?: { release: string; pid: number; since: string } | null;
  /** rollback exits with this code. */
  rollbackExit?: number;
  /** deploy takes this long (ms). */
  deployMs?: number;
  /**
   * Like rollout after the bundle arrived: a client that goes away does not
   * stop the switch; it finishes in the background (holding the lock) and
   * the host ends on the new release.
   */
  detached?: boolean;
  /** The bundle takes this long to arrive (ms); aborting meanwhile changes nothing, as rollout refuses a cut bundle. */
  receiveMs?: number;
  /** rollback takes this long (ms) after its first phase; like rollout it finishes on its own when the client goes away. */
  rollbackMs?: number;
  /** A rollout from before the preflight verb: refuses it as unknown (as rollout does), so the client asks version, status and releases. */
  noPreflight?: boolean;
  /** A rollout from before `rollback --confirm`: refuses the word (as rollout refuses an unexpected one). */
  noConfirm?: boolean;
}

export class FakeHost {
  current: string | null;
  previous: string | null = null;
  releases: string[];
  connections = 0;
  commands: string[] = [];
  /** A detached switch still running (status shows its lock). */
  switching: Promise<void> | null = null;
  /** What each `rollback --confirm` was told on stdin ('' for its end). */
  confirmWords: string[] = [];
  constructor(
    readonly name: string,
    current: string | null,
    public behaviour: FakeHostBehaviour = {},
  ) {
    this.current = current;
    this.releases = current ? [current] : [];
  }
  spec(): HostSpec {
    return { name: this.name, host: `${this.name}.test`, port: 22, hostKeys: [], httpPort: 80, source: 'fake' };
  }
}

const now = () => new Date().toISOString();

function result(verb: string, ok: boolean, code: number, fields: Record<string, unknown>): ResultEvent {
  return { event: 'result', time: now(), verb, ok, code, app: 'g/a', release: null, previous: null, color: null, seconds: 0, error: ok ? null : `fake ${verb} failed`, ...fields } as ResultEvent;
}

class FakeConnection implements HostConnection {
  private closed = false;
  constructor(private readonly h: FakeHost) {}
  close() {
    this.closed = true;
  }
  async run(words: readonly string[], o: RunOptions = {}): Promise<RunResult> {
    if (this.closed) throw new TransportError('cut', `host ${this.h.name}: closed`);
    const h = this.h;
    h.commands.push(words.join(' '));
    const w = words[0] === 'rollout' ? words.slice(1) : [...words];
    const verb = w[0];
    const opt = (name: string) => {
      const i = w.indexOf(name);
      return i >= 0 ? w[i + 1] : undefined;
    };
    const events: RolloutEvent[] = [];
    const emit = (e: RolloutEvent) => {
      events.push(e);
      o.onEvent?.(e);
    };
    const done = (code: number, r: ResultEvent): RunResult => {
      emit(r);
      return { exitCode: code, result: r, events, stderrTail: [] };
    };
    switch (verb) {
      case 'preflight': {
        if (h.behaviour.noPreflight) return done(2, result('unknown', false, 2, { app: null }));
        const lock = h.behaviour.lock ?? (h.switching ? { release: 'detached', pid: 1, since: now() } : null);
        const releases = w.includes('--releases') ? { releases: h.releases.map((id) => ({ id, current: id === h.current, created: now() })) } : {};
        return done(0, result('preflight', true, 0, { protocol: h.behaviour.protocol ?? 1, router: h.behaviour.router ?? 'haproxy', host: h.name, current: h.current, previous: h.previous, lock, ...releases }));
      }
      case 'version':
        return done(0, result('version', true, 0, { protocol: h.behaviour.protocol ?? 1, router: h.behaviour.router ?? 'haproxy', host: h.name }));
      case 'status': {
        const lock = h.behaviour.lock ?? (h.switching ? { release: 'detached', pid: 1, since: now() } : null);
        return done(0, result('status', true, 0, { current: h.current, previous: h.previous, lock }));
      }
      case 'releases':
        return done(0, result('releases', true, 0, { releases: h.releases.map((id) => ({ id, current: id === h.current, created: now() })) }));
      case 'deploy': {
        const release = opt('--release')!;
        if (Buffer.isBuffer(o.stdin)) o.onUpload?.(o.stdin.length);
        const switchNow = () => {
          h.previous = h.current;
          h.current = release;
          if (!h.releases.includes(release)) h.releases.unshift(release);
        };
        if (h.behaviour.receiveMs) {
          await new Promise<void>((resolve, reject) => {
            const t = setTimeout(resolve, h.behaviour.receiveMs);
            o.signal?.addEventListener('abort', () => (clearTimeout(t), reject(o.signal!.reason)));
          });
        }
        for (const phase of ['received', 'checked']) emit({ event: 'phase', time: now(), phase, app: 'g/a', release, message: '' });
        if (!w.includes('--dry-run')) emit({ event: 'phase', time: now(), phase: 'pulling', app: 'g/a', release, message: '' });
        if (h.behaviour.deployMs) {
          const ms = h.behaviour.deployMs;
          await new Promise<void>((resolve, reject) => {
            const t = setTimeout(resolve, ms);
            o.signal?.addEventListener('abort', () => {
              clearTimeout(t);
              if (h.behaviour.detached) {
                h.switching = new Promise<void>((done) =>
                  setTimeout(() => {
                    switchNow();
                    h.switching = null;
                    done();
                  }, ms),
                );
              }
              reject(o.signal!.reason);
            });
          });
        }
        if (h.behaviour.cut === 'mid-transfer') {
          h.behaviour = { ...h.behaviour, cut: undefined };
          throw new TransportError('cut', `host ${h.name}: the SSH connection was cut (fake)`);
        }
        if (w.includes('--dry-run')) return done(0, result('deploy', true, 0, { release, dry_run: true }));
        if (h.behaviour.deployExit) return done(h.behaviour.deployExit, result('deploy', false, h.behaviour.deployExit, { release }));
        emit({ event: 'phase', time: now(), phase: 'healthy', app: 'g/a', release, message: '' });
        switchNow();
        if (h.behaviour.cut === 'mid-switch') {
          h.behaviour = { ...h.behaviour, cut: undefined };
          throw new TransportError('cut', `host ${h.name}: the SSH connection was cut (fake)`);
        }
        return done(0, result('deploy', true, 0, { release, previous: h.previous }));
      }
      case 'rollback': {
        let to = opt('--to') ?? h.previous;
        if (w.includes('--confirm')) {
          // like rollout: the lock first, then the preflight's answer, then one line on stdin
          if (h.behaviour.noConfirm) return done(2, result('unknown', false, 2, { app: null, error: 'rollback: unexpected word: --confirm' }));
          const lock = h.behaviour.lock ?? (h.switching ? { release: 'detached', pid: 1, since: now() } : null);
          if (lock) return done(3, result('rollback', false, 3, { error: `g/a is locked by release ${lock.release} (pid ${lock.pid}) since ${lock.since}; waited 1s` }));
          emit({
            event: 'prepared',
            time: now(),
            app: 'g/a',
            protocol: h.behaviour.protocol ?? 1,
            router: h.behaviour.router ?? 'haproxy',
            host: h.name,
            current: h.current,
            previous: h.previous,
            color: null,
            lock: null,
            releases: h.releases.map((id) => ({ id, current: id === h.current, created: now() })),
          } as RolloutEvent);
          const line = o.stdin instanceof Promise ? ((await o.stdin.catch(() => null))?.toString().trim() ?? '') : '';
          h.confirmWords.push(line);
          if (!line.startsWith('go ')) return done(2, result('rollback', false, 2, { error: 'rollback not confirmed by the client: nothing changed' }));
          to = line.slice(3);
        }
        if (h.behaviour.rollbackExit) return done(h.behaviour.rollbackExit, result('rollback', false, h.behaviour.rollbackExit, {}));
        if (!to || !h.releases.includes(to)) return done(2, result('rollback', false, 2, {}));
        if (h.behaviour.rollbackMs) {
          emit({ event: 'phase', time: now(), phase: 'starting', app: 'g/a', release: to, message: '' });
          const ms = h.behaviour.rollbackMs;
          const back = () => {
            h.previous = h.current;
            h.current = to;
          };
          await new Promise<void>((resolve, reject) => {
            const t = setTimeout(resolve, ms);
            o.signal?.addEventListener('abort', () => {
              clearTimeout(t);
              h.switching = new Promise<void>((fin) => setTimeout(() => (back(), (h.switching = null), fin()), ms));
              reject(o.signal!.reason);
            });
          });
          back();
          return done(0, result('rollback', true, 0, { release: to, previous: h.previous }));
        }
        h.previous = h.current;
        h.current = to;
        return done(0, result('rollback', true, 0, { release: to, previous: h.previous }));
      }
      case 'list':
        return done(0, result('list', true, 0, { apps: h.current ? [{ app: 'g/a', current: h.current }] : [] }));
      case 'remove':
        h.current = null;
        h.releases = [];
        return done(0, result('remove', true, 0, {}));
      default:
        return done(2, result(verb, false, 2, {}));
    }
  }
}

/** FAKE connector over FakeHosts, by host name. */
export class FakeFleet implements Connector {
  readonly hosts = new Map<string, FakeHost>();
  constructor(hosts: FakeHost[]) {
    for (const h of hosts) this.hosts.set(h.name, h);
  }
  async connect(spec: HostSpec): Promise<HostConnection> {
    const h = this.hosts.get(spec.name)!;
    h.connections++;
    if (h.behaviour.connect) throw new TransportError(h.behaviour.connect, `host ${h.name}: fake ${h.behaviour.connect}`);
    return new FakeConnection(h);
  }
}
