/**
 * Carries out a fleet run over any Connector (SSH for real, an in-memory
 * fake in unit tests): preflight on every host, then deploy or rollback in
 * the plan's batches, the on-failure policy, and the verdict.
 *
 * Invariant: unless the user chose `stop` or `continue` (or interrupted the
 * run), the fleet ends on one release; when it cannot, the exit code is 7
 * and the table says which host runs what.
 */
import { ExitCode, errorMessage } from '../core/errors';
import type { Logger } from '../core/logger';
import type { HostSpec, OnFailure } from '../core/types';
import { TransportError, type Connector, type HostConnection, type RunResult } from './connection';
import { PROTOCOL_VERSION } from '../core/events';
import { protocolProblem, type ResultEvent, type RolloutEvent } from './events';
import { pool } from './pool';

export type HostResult =
  | 'switched' // on the new release (deploy) or the target (rollback)
  | 'ok' // dry run or read-only verb succeeded
  | 'unchanged' // already on the target
  | 'failed' // did not switch; still on its release before
  | 'rolled-back' // switched in this run, then returned to its release before
  | 'rollback-failed' // switched, and could not be returned
  | 'locked' // another deploy holds the app's lock
  | 'refused' // preflight failed (host key, auth, protocol, router, release missing)
  | 'unreachable'
  | 'not-started' // never touched (preflight failed elsewhere, a failure stopped the run, interrupted)
  | 'unknown'; // lost contact and status could not tell

export interface HostReport {
  host: string;
  address: string;
  result: HostResult;
  before: string | null;
  after: string | null;
  seconds: number;
  error: string | null;
}

export interface FleetReport {
  verb: 'deploy' | 'rollback' | 'status' | 'releases' | 'remove';
  application: string;
  environment: string | null;
  /** The release deployed or rolled back to. */
  release: string | null;
  dryRun: boolean;
  exitCode: number;
  /** One line saying how the run ended. */
  summary: string;
  hosts: HostReport[];
  /** status/releases: the host's answer, as rollout gave it. */
  details?: Record<string, ResultEvent | null>;
}

export interface FleetRunOptions {
  connector: Connector;
  logger: Logger;
  /** Per-host overall timeout, passed to rollout as --deadline. Default 600. */
  timeoutSeconds?: number;
  /** After a cut or timeout: how long to wait for a host's lock to clear before asking for the verdict. Default 120. */
  verifyGraceSeconds?: number;
  /** Aborted on SIGINT/SIGTERM: no new host starts. */
  signal?: AbortSignal;
}

export interface SwitchTarget {
  application: string;
  environment: string | null;
  release: string;
  hosts: { host: HostSpec; batch: number; command: string[] }[];
  concurrency: number;
  onFailure: OnFailure;
  /** Router the Deliveryfile expects (null: any). */
  router: string | null;
}

const PROTOCOL = PROTOCOL_VERSION;

/** The plan's words without --deadline/--dry-run: the run adds its own. */
export function withoutRunOptions(words: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    if (words[i] === '--deadline') i++;
    else if (words[i] !== '--dry-run') out.push(words[i]);
  }
  return out;
}

interface HostState {
  spec: HostSpec;
  batch: number;
  command: string[];
  report: HostReport;
  conn: HostConnection | null;
  /** Switched in this run (so a rollback policy must undo it). */
  switchedHere: boolean;
  lockedBy: string | null;
  /** The host's previous release, from preflight's status. */
  previous: string | null;
}

function tail(r: RunResult): string {
  return r.result?.error ?? r.stderrTail.filter((l) => !/^==>/.test(l)).slice(-1)[0] ?? `exit ${r.exitCode}`;
}

function lockText(lock: ResultEvent['lock']): string {
  if (!lock) return 'another deploy';
  return `release ${lock.release ?? '?'} (pid ${lock.pid ?? '?'}) since ${lock.since ?? '?'}`;
}

export class FleetRun {
  private readonly timeout: number;
  private readonly grace: number;
  private readonly log: Logger;
  private interrupted = false;

  constructor(private readonly o: FleetRunOptions) {
    this.timeout = o.timeoutSeconds ?? 600;
    this.grace = o.verifyGraceSeconds ?? 120;
    this.log = o.logger;
    o.signal?.addEventListener('abort', () => {
      this.interrupted = true;
      this.log.warn('interrupted: no new host starts; the hosts already switching finish on their own');
    });
  }

  private line(s: HostState, text: string) {
    this.log.info(`[${s.spec.name}] ${text}`);
  }

  private async conn(s: HostState): Promise<HostConnection> {
    if (!s.conn) {
      this.line(s, 'connecting');
      s.conn = await this.o.connector.connect(s.spec);
    }
    return s.conn;
  }

  private drop(s: HostState) {
    try {
      s.conn?.close();
    } catch {
      /* already gone */
    }
    s.conn = null;
  }

  /** Runs words on a host with a timeout; TransportError on cut, timeout, unreachable. */
  private async run(
    s: HostState,
    words: string[],
    seconds: number,
    extra: { stdin?: Buffer; onEvent?: (e: RolloutEvent) => void } = {},
  ): Promise<RunResult> {
    const c = await this.conn(s);
    const ac = new AbortController();
    const timer = setTimeout(
      () =>
        ac.abort(
          new TransportError(
            'timeout',
            `host ${s.spec.name}: the per-host timeout (${seconds} s) passed during \`${words.slice(0, 2).join(' ')}\`; the host was given --deadline and rolls back by itself`,
          ),
        ),
      seconds * 1000,
    );
    try {
      let announced = false;
      return await c.run(words, {
        ...extra,
        onEvent: (e) => {
          const problem = protocolProblem(e);
          if (problem) this.log.debug(`[${s.spec.name}] event outside protocol ${PROTOCOL}: ${problem}`);
          extra.onEvent?.(e);
        },
        signal: ac.signal,
        onStderr: (l) => this.log.debug(`[${s.spec.name}] ${l}`),
        onUpload: extra.stdin
          ? (n) => {
              if (!announced) {
                announced = true;
                this.line(s, `uploading ${extra.stdin!.length} bytes`);
              }
              if (n === extra.stdin!.length) this.line(s, `uploaded ${n} bytes`);
            }
          : undefined,
      });
    } catch (e) {
      if (e instanceof TransportError) this.drop(s);
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  private newState(h: { host: HostSpec; batch: number; command: string[] }): HostState {
    return {
      spec: h.host,
      batch: h.batch,
      command: h.command,
      conn: null,
      switchedHere: false,
      lockedBy: null,
      previous: null,
      report: {
        host: h.host.name,
        address: `${h.host.host}:${h.host.port}`,
        result: 'not-started',
        before: null,
        after: null,
        seconds: 0,
        error: null,
      },
    };
  }

  /** connect, authenticate, `rollout version`, `rollout status` (and `releases` when asked). */
  private async preflight(
    states: HostState[],
    app: string,
    router: string | null,
    concurrency: number,
    wantReleases: boolean,
  ): Promise<Map<HostState, string[]>> {
    const releases = new Map<HostState, string[]>();
    await pool(states, Math.max(concurrency, 10), async (s) => {
      const started = Date.now();
      try {
        // One connection; version, status (and releases) as channels side by side.
        await this.conn(s);
        const short = Math.min(this.timeout, 60);
        const [v, st, rel] = await Promise.all([
          this.run(s, ['rollout', 'version'], short),
          this.run(s, ['rollout', 'status', app], short),
          wantReleases ? this.run(s, ['rollout', 'releases', app], short) : Promise.resolve(null),
        ]);
        if (v.exitCode !== 0 || !v.result) throw new Error(`\`rollout version\` failed: ${tail(v)}`);
        if (v.result.protocol !== PROTOCOL) {
          throw new Error(`rollout speaks protocol ${v.result.protocol ?? 'unknown'}, this client speaks ${PROTOCOL}; update rollout on the host (or this client)`);
        }
        if (router && v.result.router && v.result.router !== router) {
          throw new Error(`the host runs the ${v.result.router} router, the Deliveryfile expects ${router}`);
        }
        if (!st.result) throw new Error(`\`rollout status\` failed: ${tail(st)}`);
        s.report.before = st.result.current ?? null;
        s.report.after = s.report.before;
        s.previous = st.result.previous ?? null;
        if (st.result.lock) s.lockedBy = lockText(st.result.lock);
        if (rel) {
          if (!rel.result) throw new Error(`\`rollout releases\` failed: ${tail(rel)}`);
          releases.set(
            s,
            (rel.result.releases ?? []).map((x) => x.id),
          );
        }
        this.line(s, `preflight ok (current ${s.report.before ?? 'none'})`);
      } catch (e) {
        s.report.result = e instanceof TransportError && e.kind === 'unreachable' ? 'unreachable' : 'refused';
        s.report.error = errorMessage(e);
        s.report.seconds = (Date.now() - started) / 1000;
        this.log.error(s.report.error.startsWith('host ') ? s.report.error : `host ${s.spec.name}: ${s.report.error}`);
      }
    });
    return releases;
  }

  /**
   * After a cut or a timeout: ask the host on a new connection what it runs
   * now, waiting (bounded) while its deploy still holds the lock.
   */
  private async verify(s: HostState, app: string, target: string): Promise<'switched' | 'not switched' | 'unknown'> {
    const end = Date.now() + this.grace * 1000;
    for (;;) {
      try {
        const st = await this.run(s, ['rollout', 'status', app], 60);
        if (st.result && !st.result.lock) {
          s.report.after = st.result.current ?? null;
          return st.result.current === target ? 'switched' : 'not switched';
        }
        if (st.result?.lock) this.line(s, `still locked by ${lockText(st.result.lock)}; waiting for the host to finish`);
      } catch (e) {
        this.log.debug(`[${s.spec.name}] status after a cut: ${errorMessage(e)}`);
      }
      if (Date.now() > end) return 'unknown';
      await new Promise((r) => setTimeout(r, 2000));
    }
  }

  /** One host's switch: the command with --deadline, then the verdict. */
  private async switchHost(s: HostState, app: string, target: string, stdin: Buffer | undefined, dryRun: boolean): Promise<void> {
    const started = Date.now();
    const words = [...withoutRunOptions(s.command), '--deadline', String(this.timeout)];
    if (dryRun) words.push('--dry-run');
    try {
      const r = await this.run(s, words, this.timeout, {
        stdin,
        onEvent: (e) => {
          if (e.event === 'phase') this.line(s, e.phase + (e.message ? `: ${e.message}` : ''));
          else if (e.event === 'log' && e.level !== 'info') this.line(s, `${e.level}: ${e.message}`);
        },
      });
      if (r.exitCode === 0 && r.result?.ok !== false) {
        if (dryRun) {
          s.report.result = 'ok';
        } else {
          s.report.result = 'switched';
          s.report.after = r.result?.release ?? target;
          s.switchedHere = s.report.after !== s.report.before;
          if (!s.switchedHere) s.report.result = 'unchanged';
        }
        this.line(s, dryRun ? 'dry run ok' : `switched to ${s.report.after}`);
      } else if (r.exitCode === 3) {
        s.report.result = 'locked';
        s.report.error = tail(r);
        this.line(s, `locked: ${s.report.error}`);
      } else {
        s.report.result = 'failed';
        s.report.error = `rollout exit ${r.exitCode}: ${tail(r)}`;
        this.line(s, `failed: ${s.report.error}`);
        // What rollout said last (health output, container logs), for the diagnosis.
        for (const l of r.stderrTail.slice(-12)) this.line(s, `| ${l}`);
      }
    } catch (e) {
      const msg = errorMessage(e);
      if (e instanceof TransportError && (e.kind === 'cut' || e.kind === 'timeout' || e.kind === 'aborted')) {
        this.line(s, `${msg}; asking the host for its status on a new connection`);
        const v = dryRun ? 'not switched' : await this.verify(s, app, target);
        if (v === 'switched') {
          s.report.result = 'switched';
          s.switchedHere = s.report.before !== target;
          s.report.error = `${msg} (the host finished the switch)`;
          this.line(s, `the host finished the switch to ${target}`);
        } else {
          s.report.result = v === 'unknown' ? 'unknown' : 'failed';
          s.report.error = v === 'unknown' ? `${msg}; the host's state is unknown (status did not answer within ${this.grace} s)` : msg;
        }
      } else {
        s.report.result = e instanceof TransportError ? 'unreachable' : 'failed';
        s.report.error = msg;
        this.line(s, `failed: ${msg}`);
      }
    } finally {
      s.report.seconds = (Date.now() - started) / 1000;
    }
  }

  /** Returns a switched host to its release before. */
  private async undo(s: HostState, app: string): Promise<void> {
    const started = Date.now();
    const to = s.report.before;
    if (!to) {
      s.report.result = 'rollback-failed';
      s.report.error = `${s.report.error ? s.report.error + '; ' : ''}no release before this run to return to`;
      return;
    }
    this.line(s, `rolling back to ${to}`);
    try {
      const r = await this.run(s, ['rollout', 'rollback', app, '--to', to, '--deadline', String(this.timeout)], this.timeout, {
        onEvent: (e) => {
          if (e.event === 'phase') this.line(s, e.phase);
        },
      });
      if (r.exitCode === 0) {
        s.report.result = 'rolled-back';
        s.report.after = to;
        this.line(s, `rolled back to ${to}`);
        return;
      }
      s.report.error = `rollback failed: rollout exit ${r.exitCode}: ${tail(r)}`;
    } catch (e) {
      const v = await this.verify(s, app, to);
      if (v === 'switched') {
        s.report.result = 'rolled-back';
        s.report.after = to;
        return;
      }
      s.report.error = `rollback failed: ${errorMessage(e)}`;
    } finally {
      s.report.seconds += (Date.now() - started) / 1000;
    }
    s.report.result = 'rollback-failed';
    this.line(s, s.report.error!);
  }

  /**
   * deploy (stdin = bundle) or rollback (no stdin) across the fleet.
   * `checkTarget`: rollback --to, refuse unless every host keeps the release.
   */
  async switch(
    verb: 'deploy' | 'rollback',
    target: SwitchTarget,
    opts: { stdin?: Buffer; dryRun?: boolean; requireRelease?: boolean } = {},
  ): Promise<FleetReport> {
    let t = target;
    const dryRun = !!opts.dryRun;
    const states = t.hosts.map((h) => this.newState(h));
    const report = (exitCode: number, summary: string): FleetReport => {
      for (const s of states) this.drop(s);
      return {
        verb,
        application: t.application,
        environment: t.environment,
        release: t.release,
        dryRun,
        exitCode,
        summary,
        hosts: states.map((s) => s.report),
      };
    };

    // 1. Preflight on every host; any failure stops the run before a host changes.
    const releases = await this.log.group('preflight', () =>
      this.preflight(states, t.application, t.router, t.concurrency, !!opts.requireRelease),
    );
    const bad = states.filter((s) => s.report.error);
    if (bad.length) {
      return report(ExitCode.Refused, `preflight failed on ${bad.length} of ${states.length} hosts; nothing was changed`);
    }
    if (verb === 'rollback') {
      if (!t.release) {
        // The default target: the previous release, which must be the same on every host.
        const prevs = new Set(states.map((s) => s.previous));
        const currents = new Set(states.map((s) => s.report.before));
        const [only] = prevs;
        if (prevs.size !== 1 || !only || currents.size !== 1) {
          for (const s of states) s.report.result = 'refused';
          const where = states.map((s) => `${s.spec.name}: current ${s.report.before ?? 'none'}, previous ${s.previous ?? 'none'}`).join('; ');
          return report(ExitCode.Refused, `the hosts do not share one previous release (${where}); name the target with --to RELEASE`);
        }
        t = { ...t, release: only };
      }
      for (const s of states) s.command = ['rollout', 'rollback', t.application, '--to', t.release];
    }
    if (opts.requireRelease) {
      const missing = states.filter((s) => !(releases.get(s) ?? []).includes(t.release));
      for (const s of missing) {
        s.report.result = 'refused';
        s.report.error = `release ${t.release} is not kept on this host (kept: ${(releases.get(s) ?? []).join(', ') || 'none'})`;
      }
      if (missing.length) {
        return report(ExitCode.Refused, `release ${t.release} is missing on ${missing.map((s) => s.spec.name).join(', ')}; no host was switched`);
      }
    }
    const locked = states.filter((s) => s.lockedBy);
    if (locked.length && !dryRun) {
      for (const s of locked) {
        s.report.result = 'locked';
        s.report.error = `locked by ${s.lockedBy}`;
      }
      return report(
        ExitCode.Locked,
        `${t.application} is locked by ${locked[0].lockedBy} on ${locked.map((s) => s.spec.name).join(', ')}; nothing was changed`,
      );
    }

    // 2. Batches in order; within a batch, bounded concurrency.
    let failed = false;
    const keepGoing = () => !this.interrupted && (!failed || t.onFailure === 'continue');
    const batches = [...new Set(states.map((s) => s.batch))].sort((a, b) => a - b);
    for (const b of batches) {
      const batch = states.filter((s) => s.batch === b);
      if (!keepGoing()) break;
      if (batches.length > 1) this.log.info(`batch ${b + 1} of ${batches.length}: ${batch.map((s) => s.spec.name).join(', ')}`);
      await pool(
        batch,
        t.concurrency,
        async (s) => {
          if (verb === 'rollback' && s.report.before === t.release) {
            s.report.result = 'unchanged';
            this.line(s, `already on ${t.release}`);
            return;
          }
          await this.switchHost(s, t.application, t.release, opts.stdin, dryRun);
          if (!['switched', 'ok', 'unchanged'].includes(s.report.result)) failed = true;
        },
        keepGoing,
      );
    }

    // 3. The on-failure policy.
    if (failed && t.onFailure === 'rollback' && !dryRun) {
      const toUndo = states.filter((s) => s.switchedHere || s.report.result === 'unknown');
      if (toUndo.length) {
        await this.log.group(`rolling back ${toUndo.length} switched host(s)`, () =>
          pool(toUndo, Math.max(toUndo.length, 1), (s) => this.undo(s, t.application)),
        );
      }
    }
    return report(...this.verdict(states, t, dryRun));
  }

  private verdict(states: HostState[], t: SwitchTarget, dryRun: boolean): [number, string] {
    const failedHosts = states.filter((s) => !['switched', 'ok', 'unchanged', 'rolled-back', 'not-started'].includes(s.report.result));
    const notStarted = states.filter((s) => s.report.result === 'not-started');
    if (!failedHosts.length && !notStarted.length) {
      return [ExitCode.Ok, dryRun ? `dry run ok on ${states.length} hosts` : `${states.length} hosts on ${t.release}`];
    }
    const unknown = states.some((s) => s.report.result === 'unknown' || s.report.result === 'rollback-failed');
    const versions = new Set(states.map((s) => s.report.after ?? '(none)'));
    const why = failedHosts.map((s) => `${s.spec.name}: ${s.report.result}`).join(', ') || (this.interrupted ? 'interrupted' : '');
    if (unknown || versions.size > 1) {
      const where = [...versions].map((v) => `${v} on ${states.filter((s) => (s.report.after ?? '(none)') === v).map((s) => s.spec.name).join(', ')}`);
      return [ExitCode.Split, `the fleet is NOT on one version (${where.join('; ')}${unknown ? '; some hosts unknown' : ''}) after: ${why}`];
    }
    const onlyLocks = failedHosts.length > 0 && failedHosts.every((s) => s.report.result === 'locked');
    const [v] = versions;
    return [onlyLocks ? ExitCode.Locked : ExitCode.Failed, `failed (${why}); every host is on ${v}`];
  }

  /** status | releases | remove on every host; one table. */
  async query(verb: 'status' | 'releases' | 'remove', application: string, hosts: HostSpec[], concurrency: number): Promise<FleetReport> {
    const states = hosts.map((h) => this.newState({ host: h, batch: 0, command: [] }));
    const details: Record<string, ResultEvent | null> = {};
    await pool(states, Math.max(concurrency, 10), async (s) => {
      const started = Date.now();
      try {
        const r = await this.run(s, ['rollout', verb, application], Math.min(this.timeout, verb === 'remove' ? this.timeout : 60));
        details[s.spec.name] = r.result;
        if (r.exitCode === 0 && r.result) {
          s.report.result = 'ok';
          s.report.before = r.result.current ?? (verb === 'releases' ? (r.result.releases ?? []).find((x) => x.current)?.id ?? null : null);
          s.report.after = verb === 'remove' ? null : s.report.before;
        } else {
          s.report.result = r.exitCode === 3 ? 'locked' : 'failed';
          s.report.error = `rollout exit ${r.exitCode}: ${tail(r)}`;
        }
      } catch (e) {
        details[s.spec.name] = null;
        s.report.result = e instanceof TransportError && e.kind !== 'cut' && e.kind !== 'timeout' ? 'unreachable' : 'failed';
        s.report.error = errorMessage(e);
      } finally {
        s.report.seconds = (Date.now() - started) / 1000;
        this.drop(s);
      }
    });
    const bad = states.filter((s) => s.report.result !== 'ok');
    const versions = new Set(states.filter((s) => s.report.result === 'ok').map((s) => s.report.before ?? '(none)'));
    const summary = bad.length
      ? `${bad.length} of ${states.length} hosts did not answer ${verb}`
      : verb === 'remove'
        ? `${application} removed from ${states.length} hosts`
        : versions.size === 1
          ? `${states.length} hosts on ${[...versions][0]}`
          : `the hosts run different releases: ${[...versions].join(', ')}`;
    return {
      verb,
      application,
      environment: null,
      release: null,
      dryRun: false,
      exitCode: bad.length ? ExitCode.Failed : ExitCode.Ok,
      summary,
      hosts: states.map((s) => s.report),
      details,
    };
  }
}
