/**
 * Carries out a fleet plan over any Connector (SSH for real, an in-memory
 * fake in unit tests), running exactly the words the plan gives (built in
 * src/core/commands.ts). A switch (deploy, rollback) goes through named
 * steps: preflight → locks → target → kept releases → batches → settle;
 * the verdict is a pure function (./verdict.ts).
 *
 * Invariant: unless the user chose `stop` or `continue`, the fleet ends on
 * one release; when it cannot, the exit code is 7 and the summary names the
 * command that reunites it.
 *
 * Signals (options `signal`, `hurry`): the first one starts nothing new,
 * lets each host already switching finish (rollout runs detached with its
 * deadline), then brings the hosts switched in this run back to their
 * release before. The second one stops waiting for hosts still switching
 * (they finish on their own) and brings back the ones that have switched.
 */
import { commandLine, rollbackWords, statusWords, versionWords, releasesWords, listWords, removeWords, preflightWords } from '../core/commands';
import { ExitCode, errorMessage } from '../core/errors';
import { EXIT_CODES, PROTOCOL_VERSION } from '../core/wire';
import type { Logger } from '../core/logger';
import { DEFAULT_DEADLINE } from '../core/plan';
import { TransportError, eventReader, type Connector, type HostConnection, type PreparedEvent, type ResultEvent, type RolloutEvent, type RunResult } from '../core/protocol';
import type { FleetPlan, HostSpec, OnFailure } from '../core/types';
import { pool } from './pool';
import { reuniteCommand, reuniteTarget, verdict, whereEach, type HostResult, type Reunite } from './verdict';

export type { HostResult, Reunite } from './verdict';

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
  verb: 'deploy' | 'rollback' | 'status' | 'releases' | 'remove' | 'list';
  application: string;
  environment: string | null;
  /** The release deployed or rolled back to. */
  release: string | null;
  dryRun: boolean;
  exitCode: number;
  /** One line saying how the run ended. */
  summary: string;
  hosts: HostReport[];
  /** status/releases/list: the host's answer, as rollout gave it. */
  details?: Record<string, ResultEvent | null>;
  /** When the hosts do not run one release: the release and the command that reunites them. */
  reunite?: Reunite | null;
}

export interface FleetRunOptions {
  connector: Connector;
  logger: Logger;
  /** Per-host overall timeout of the client, in seconds (the plan's words carry the same as --deadline). Default 600. */
  timeoutSeconds?: number;
  /** After a cut or timeout: how long to wait for a host's lock to clear before asking for the verdict. Default 120. */
  verifyGraceSeconds?: number;
  /** First SIGINT/SIGTERM: no new host starts; afterwards the switched hosts go back. */
  signal?: AbortSignal;
  /** Second signal: stop waiting for the hosts still switching. */
  hurry?: AbortSignal;
}

export interface SwitchTarget {
  application: string;
  environment: string | null;
  /** deploy: the new release; rollback: the target ('' or null: each host's previous, which must be one release). */
  release: string | null;
  /** Per host: the exact words to run (from the plan). */
  hosts: { host: HostSpec; batch: number; command: string[] }[];
  concurrency: number;
  onFailure: OnFailure;
  /** Router the Deliveryfile expects (null: any). */
  router: string | null;
}

/** A plan's hosts and words as the executor takes them. */
export function switchTarget(p: FleetPlan): SwitchTarget {
  return {
    application: p.application,
    environment: p.environment,
    release: p.release,
    hosts: p.steps.map((s) => ({ host: s.host, batch: s.batch, command: s.command })),
    concurrency: p.concurrency,
    onFailure: p.onFailure,
    router: p.router,
  };
}

const PROTOCOL = PROTOCOL_VERSION;
/** After the second signal: how long a host still switching is watched before it is left to finish on its own. */
const HURRY_WAIT_MS = 1000;
const SETTLED: readonly HostResult[] = ['switched', 'ok', 'unchanged'];

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
  /** The releases the host keeps, when preflight asked. */
  kept: string[] | null;
  /** A switch is being followed right now. */
  switching: boolean;
  /** The host's detached switch has begun (a phase after the bundle checks): from here it finishes on its own. */
  began: boolean;
  /** Aborts this host's switch channel. */
  stop: AbortController | null;
  /** rollback --confirm: the host's rollback runs already, lock held, and waits for go (or the end of its stdin). */
  confirm: Confirm | null;
}

/** A host's `rollout rollback … --confirm` between its prepared answer and the client's word. */
interface Confirm {
  /** Sends `go RELEASE` (or, null, ends stdin: nothing changes); only the first word counts. */
  say(line: string | null): void;
  run: Promise<RunResult>;
  /** Where the run's events go once the switch is followed. */
  onEvent: ((e: RolloutEvent) => void) | null;
}

/** Phases rollout prints while the SSH session still receives and checks the bundle; every later one comes from the detached switch. */
const BEFORE_SWITCH: readonly string[] = ['received', 'checked'];

function tail(r: RunResult): string {
  return r.result?.error ?? r.stderrTail.filter((l) => !/^==>/.test(l)).slice(-1)[0] ?? `exit ${r.exitCode}`;
}

/**
 * A lock held only by the last switch finishing after its result (drain,
 * stop of the old color, pruning): rollout waits for it by itself, so it
 * neither refuses a run nor means "still switching".
 */
export function isFinishing(lock: ResultEvent['lock']): boolean {
  return !!lock && (lock.state === 'finishing' || / finishing$/.test(String(lock.since ?? '')));
}

function lockText(lock: ResultEvent['lock']): string {
  if (!lock) return 'another deploy';
  return `release ${lock.release ?? '?'} (pid ${lock.pid ?? '?'}) since ${lock.since ?? '?'}`;
}

/** Waits `ms`, or less when `signal` aborts; leaves no listener behind. */
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

export class FleetRun {
  private readonly timeout: number;
  private readonly grace: number;
  private readonly log: Logger;
  /** Why the run was interrupted (the signal's reason), or null. */
  private interrupted: string | null = null;
  private hurried = false;
  /** Aborts the channels of switches being followed (second signal). */
  private readonly following = new AbortController();
  /** Hosts whose switch is being followed right now. */
  private readonly live = new Set<HostState>();

  constructor(private readonly o: FleetRunOptions) {
    this.timeout = o.timeoutSeconds ?? DEFAULT_DEADLINE;
    this.grace = o.verifyGraceSeconds ?? 120;
    this.log = o.logger;
    const first = () => {
      if (this.interrupted) return;
      this.interrupted = reasonOf(o.signal, 'an interrupt');
      this.log.warn(`interrupted (${this.interrupted}): no new host starts; the hosts already switching finish, then the switched hosts go back`);
      // A host still receiving its bundle has not begun to switch: stop it there (rollout then changes nothing).
      for (const s of this.live) {
        if (!s.began) s.stop?.abort(new TransportError('aborted', `host ${s.spec.name}: interrupted before its switch began`));
      }
    };
    if (o.signal?.aborted) first();
    else o.signal?.addEventListener('abort', first, { once: true });
    const second = () => {
      first();
      this.hurried = true;
      this.log.warn('second interrupt: no more waiting for hosts still switching (they finish on their own); the switched hosts go back now');
      this.following.abort(new TransportError('aborted', 'the run was interrupted a second time'));
    };
    if (o.hurry?.aborted) second();
    else o.hurry?.addEventListener('abort', second, { once: true });
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

  /** Runs words on a host with a timeout; TransportError on cut, timeout, unreachable, abort. */
  private async run(
    s: HostState,
    words: readonly string[],
    seconds: number,
    extra: { stdin?: Buffer | Promise<Buffer | null>; onEvent?: (e: RolloutEvent) => void; signal?: AbortSignal } = {},
  ): Promise<RunResult> {
    const c = await this.conn(s);
    const { protocolProblem } = await eventReader();
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
    const onOuter = () => ac.abort(extra.signal!.reason);
    if (extra.signal?.aborted) onOuter();
    else extra.signal?.addEventListener('abort', onOuter, { once: true });
    try {
      let announced = false;
      const bytes = Buffer.isBuffer(extra.stdin) ? extra.stdin : null;
      return await c.run(words, {
        stdin: extra.stdin,
        onEvent: (e) => {
          const problem = protocolProblem(e);
          if (problem) this.log.debug(`[${s.spec.name}] event outside protocol ${PROTOCOL}: ${problem}`);
          extra.onEvent?.(e);
        },
        signal: ac.signal,
        onStderr: (l) => this.log.debug(`[${s.spec.name}] ${l}`),
        onUpload: bytes
          ? (n) => {
              if (!announced) {
                announced = true;
                this.line(s, `uploading ${bytes.length} bytes`);
              }
              if (n === bytes.length) this.line(s, `uploaded ${n} bytes`);
            }
          : undefined,
      });
    } catch (e) {
      if (e instanceof TransportError) this.drop(s);
      throw e;
    } finally {
      clearTimeout(timer);
      extra.signal?.removeEventListener('abort', onOuter);
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
      kept: null,
      switching: false,
      began: false,
      stop: null,
      confirm: null,
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

  // ------------------------------------------------------------ step 1: preflight

  /**
   * One host's preflight answer: `rollout preflight` (one round trip), or
   * from a rollout older than that verb `version`, `status` (and `releases`)
   * side by side on the same connection.
   */
  private async ask(s: HostState, app: string, wantReleases: boolean, seconds: number): Promise<{ v: RunResult; st: RunResult; rel: RunResult | null }> {
    const pf = await this.run(s, preflightWords(app, { releases: wantReleases }), seconds);
    if (pf.exitCode === EXIT_CODES.ok && pf.result?.verb === 'preflight') return { v: pf, st: pf, rel: wantReleases ? pf : null };
    if (!(pf.exitCode === EXIT_CODES.refused && pf.result?.verb === 'unknown')) throw new Error(`\`rollout preflight\` failed: ${tail(pf)}`);
    this.log.debug(`[${s.spec.name}] rollout does not know preflight (an older rollout): asking version and status`);
    const [v, st, rel] = await Promise.all([
      this.run(s, versionWords(), seconds),
      this.run(s, statusWords(app), seconds),
      wantReleases ? this.run(s, releasesWords(app), seconds) : Promise.resolve(null),
    ]);
    return { v, st, rel };
  }

  /**
   * rollback --confirm: starts the host's rollback, whose first answer is the
   * preflight's (a `prepared` event, with the app's lock held); the host then
   * waits for `go RELEASE`. Returns that answer as the preflight's, or null
   * when the host's rollout is older than --confirm (the step's words then
   * run without it, after a preflight of their own). A host that answers
   * with a result instead (locked, no releases) is that result.
   */
  private async prepare(s: HostState): Promise<{ prepared: PreparedEvent } | { refused: RunResult } | null> {
    // a promise settles once: only the first word reaches the host
    let send: (b: Buffer | null) => void = () => undefined;
    const stdin = new Promise<Buffer | null>((r) => (send = r));
    let onPrepared: (e: PreparedEvent) => void = () => undefined;
    const prepared = new Promise<PreparedEvent>((r) => (onPrepared = r));
    s.stop = new AbortController();
    const c: Confirm = {
      say: (line) => send(line === null ? null : Buffer.from(`${line}\n`)),
      run: this.run(s, s.command, this.timeout, {
        stdin,
        signal: s.stop.signal,
        onEvent: (e) => (e.event === 'prepared' ? onPrepared(e) : c.onEvent?.(e)),
      }),
      onEvent: null,
    };
    c.run.catch(() => undefined);
    const first = await Promise.race([prepared.then((e) => ({ e })), c.run.then((r) => ({ r }))]);
    if ('e' in first) {
      s.confirm = c;
      return { prepared: first.e };
    }
    c.say(null);
    s.stop = null;
    const r = first.r;
    if (r.exitCode === EXIT_CODES.refused && /--confirm/.test(tail(r))) {
      this.log.debug(`[${s.spec.name}] rollout does not know rollback --confirm (an older rollout): preflight first`);
      s.command = s.command.filter((w) => w !== '--confirm');
      return null;
    }
    return { refused: r };
  }

  /** connect, authenticate, then the host's version, router, status (and kept releases when asked) in one answer. */
  private async preflight(states: HostState[], app: string, router: string | null, concurrency: number, wantReleases: boolean): Promise<void> {
    await pool(states, Math.max(concurrency, 10), async (s) => {
      const started = Date.now();
      try {
        await this.conn(s);
        const p = s.command.includes('--confirm') ? await this.prepare(s) : null;
        if (p && 'refused' in p) {
          if (p.refused.exitCode === EXIT_CODES.locked) {
            s.lockedBy = tail(p.refused).replace(/^.*? is locked by /, '');
            this.line(s, `preflight: locked (${s.lockedBy})`);
            return;
          }
          throw new Error(`\`${commandLine(s.command)}\` refused: ${tail(p.refused)}`);
        }
        const pr = p ? ({ exitCode: EXIT_CODES.ok, result: { ...p.prepared, event: 'result', verb: 'preflight', ok: true, code: 0 } as ResultEvent, events: [], stderrTail: [] } satisfies RunResult) : null;
        const { v, st, rel } = pr ? { v: pr, st: pr, rel: pr } : await this.ask(s, app, wantReleases, Math.min(this.timeout, 60));
        if (v.exitCode !== EXIT_CODES.ok || !v.result) throw new Error(`\`rollout version\` failed: ${tail(v)}`);
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
        if (st.result.lock && !isFinishing(st.result.lock)) s.lockedBy = lockText(st.result.lock);
        if (rel) {
          if (!rel.result) throw new Error(`\`rollout releases\` failed: ${tail(rel)}`);
          s.kept = (rel.result.releases ?? []).map((x) => x.id ?? '');
        }
        this.line(s, `preflight ok (current ${s.report.before ?? 'none'})`);
      } catch (e) {
        s.report.result = e instanceof TransportError && e.kind === 'unreachable' ? 'unreachable' : 'refused';
        s.report.error = errorMessage(e);
        s.report.seconds = (Date.now() - started) / 1000;
        this.log.error(s.report.error.startsWith('host ') ? s.report.error : `host ${s.spec.name}: ${s.report.error}`);
      }
    });
  }

  // ------------------------------------------------------------ step 2: the target

  /** rollback without --to: the previous release, which must be the same on every host. Returns a refusal, or null. */
  private defaultTarget(states: HostState[], t: SwitchTarget): { target: string } | { refusal: string } {
    const prevs = new Set(states.map((s) => s.previous));
    const currents = new Set(states.map((s) => s.report.before));
    const [only] = prevs;
    if (prevs.size === 1 && only && currents.size === 1) return { target: only };
    const where = states.map((s) => `${s.spec.name}: current ${s.report.before ?? 'none'}, previous ${s.previous ?? 'none'}`).join('; ');
    const reunite = reuniteTarget(states.map((s) => ({ name: s.spec.name, current: s.report.before, previous: s.previous })));
    const hint = reunite ? `; the hosts run different releases; to put every host on ${reunite}: ${reuniteCommand(t.environment, reunite)}` : '';
    return { refusal: `the hosts do not share one previous release (${where}); name the target with --to RELEASE${hint}` };
  }

  // ------------------------------------------------------------ step 5: one host

  /**
   * After a cut or a timeout: ask the host on a new connection what it runs
   * now, waiting (bounded) while its deploy still holds the lock. After a
   * second interrupt it asks once and does not wait.
   */
  private async verify(s: HostState, app: string, target: string): Promise<'switched' | 'not switched' | 'unknown'> {
    const end = Date.now() + this.grace * 1000;
    let hurryEnd: number | null = null;
    for (;;) {
      try {
        const st = await this.run(s, statusWords(app), this.hurried ? 5 : 60);
        if (st.result && (!st.result.lock || isFinishing(st.result.lock))) {
          s.report.after = st.result.current ?? null;
          return st.result.current === target ? 'switched' : 'not switched';
        }
        if (st.result?.lock) this.line(s, `still locked by ${lockText(st.result.lock)}; ${this.hurried ? 'the host is still switching' : 'waiting for the host to finish'}`);
      } catch (e) {
        this.log.debug(`[${s.spec.name}] status after a cut: ${errorMessage(e)}`);
      }
      if (this.hurried) {
        // After the second signal the runner kills the job 2.5 s later: a short look, then give up.
        hurryEnd ??= Date.now() + HURRY_WAIT_MS;
        if (Date.now() > hurryEnd) return 'unknown';
        await sleep(500);
        continue;
      }
      if (Date.now() > end) return 'unknown';
      await sleep(2000, this.o.hurry);
    }
  }

  /** Reads a switch's outcome from rollout's answer. */
  private outcome(s: HostState, r: RunResult, target: string, dryRun: boolean): void {
    if (r.exitCode === EXIT_CODES.ok && r.result?.ok !== false) {
      if (dryRun) {
        s.report.result = 'ok';
      } else {
        s.report.after = r.result?.release ?? target;
        s.switchedHere = s.report.after !== s.report.before;
        s.report.result = s.switchedHere ? 'switched' : 'unchanged';
      }
      this.line(s, dryRun ? 'dry run ok' : `switched to ${s.report.after}`);
    } else if (r.exitCode === EXIT_CODES.locked) {
      s.report.result = 'locked';
      s.report.error = tail(r);
      this.line(s, `locked: ${s.report.error}`);
    } else {
      s.report.result = 'failed';
      // exit 8: the host's --deadline (the per-host timeout) passed before the client's own timer
      const timedOut = r.exitCode === EXIT_CODES.deadline ? `host ${s.spec.name}: the per-host timeout (${this.timeout} s) passed on the host; ` : '';
      s.report.error = `${timedOut}rollout exit ${r.exitCode}: ${tail(r)}`;
      this.line(s, `failed: ${s.report.error}`);
      // What rollout said last (health output, container logs), for the diagnosis.
      for (const l of r.stderrTail.slice(-12)) this.line(s, `| ${l}`);
    }
  }

  /** The connection broke off (cut, timeout, second interrupt): the host's own status decides. */
  private async afterCut(s: HostState, msg: string, app: string, target: string, dryRun: boolean): Promise<void> {
    this.line(s, `${msg}; asking the host for its status on a new connection`);
    const v = dryRun ? 'not switched' : await this.verify(s, app, target);
    if (v === 'switched') {
      s.report.result = 'switched';
      s.switchedHere = s.report.before !== target;
      s.report.error = `${msg} (the host finished the switch)`;
      this.line(s, `the host finished the switch to ${target}`);
    } else if (v === 'unknown') {
      s.report.result = 'unknown';
      s.report.error = this.hurried
        ? `${msg}; the host was still switching to ${target} and finishes on its own (within its --deadline)`
        : `${msg}; the host's state is unknown (status did not answer within ${this.grace} s)`;
    } else if (this.interrupted && !s.began) {
      s.report.result = 'not-started';
      s.report.error = `${msg}; nothing changed on it`;
    } else {
      s.report.result = 'failed';
      s.report.error = msg;
    }
  }

  /** One host's switch: its words as planned, then the outcome. */
  private async switchHost(s: HostState, app: string, target: string, stdin: Buffer | undefined, dryRun: boolean): Promise<void> {
    const started = Date.now();
    s.switching = true;
    const c = s.confirm;
    if (!c) s.stop = new AbortController();
    const onFollowing = () => s.stop?.abort(this.following.signal.reason);
    this.following.signal.addEventListener('abort', onFollowing, { once: true });
    this.live.add(s);
    const onEvent = (e: RolloutEvent) => {
      if (e.event === 'phase' && !BEFORE_SWITCH.includes(e.phase)) s.began = true;
      if (e.event === 'phase') this.line(s, e.phase + (e.message ? `: ${e.message}` : ''));
      else if (e.event === 'log' && e.level !== 'info') this.line(s, `${e.level}: ${e.message}`);
    };
    try {
      let r: RunResult;
      if (c) {
        // the rollback runs since its preflight answer: the word that lets it switch
        this.line(s, `$ ${commandLine(s.command)}; go ${target}`);
        c.onEvent = onEvent;
        c.say(`go ${target}`);
        s.confirm = null;
        r = await c.run;
      } else {
        this.line(s, `$ ${commandLine(s.command)}`);
        r = await this.run(s, s.command, this.timeout, { stdin, signal: s.stop!.signal, onEvent });
      }
      this.outcome(s, r, target, dryRun);
    } catch (e) {
      const msg = errorMessage(e);
      if (e instanceof TransportError && (e.kind === 'cut' || e.kind === 'timeout' || e.kind === 'aborted')) {
        await this.afterCut(s, msg, app, target, dryRun);
      } else {
        s.report.result = e instanceof TransportError ? 'unreachable' : 'failed';
        s.report.error = msg;
        this.line(s, `failed: ${msg}`);
      }
    } finally {
      s.switching = false;
      this.live.delete(s);
      this.following.signal.removeEventListener('abort', onFollowing);
      s.report.seconds = (Date.now() - started) / 1000;
    }
  }

  // ------------------------------------------------------------ step 6: settle

  /** Returns a switched host to its release before. */
  private async undo(s: HostState, app: string): Promise<void> {
    const started = Date.now();
    const to = s.report.before;
    if (!to) {
      s.report.result = 'rollback-failed';
      s.report.error = `${s.report.error ? s.report.error + '; ' : ''}no release before this run to return to`;
      return;
    }
    const words = rollbackWords(app, to, { deadline: this.timeout });
    this.line(s, `rolling back to ${to}: $ ${commandLine(words)}`);
    // After the second signal the runner kills the job soon: once the host's rollback has begun (it runs detached and
    // finishes on its own), stop following it so the report is out in time.
    const stop = new AbortController();
    let began = false;
    const leave = () => {
      if (began && this.hurried) stop.abort(new TransportError('aborted', 'left to finish on the host'));
    };
    this.o.hurry?.addEventListener('abort', leave, { once: true });
    try {
      const r = await this.run(s, words, this.timeout, {
        signal: stop.signal,
        onEvent: (e) => {
          if (e.event === 'phase') {
            this.line(s, e.phase);
            began = true;
            leave();
          }
        },
      });
      if (r.exitCode === EXIT_CODES.ok) {
        s.report.result = 'rolled-back';
        s.report.after = to;
        this.line(s, `rolled back to ${to}`);
        return;
      }
      s.report.error = `rollback failed: rollout exit ${r.exitCode}: ${tail(r)}`;
    } catch (e) {
      if (stop.signal.aborted) {
        s.report.result = 'going-back';
        s.report.after = to;
        s.report.error = `its rollback to ${to} runs on the host and finishes on its own (not followed to the end: the run was interrupted twice)`;
        this.line(s, `going back to ${to} on its own (rollout runs the rollback detached)`);
        return;
      }
      const v = await this.verify(s, app, to);
      if (v === 'switched') {
        s.report.result = 'rolled-back';
        s.report.after = to;
        return;
      }
      s.report.error = `rollback failed: ${errorMessage(e)}`;
    } finally {
      this.o.hurry?.removeEventListener('abort', leave);
      s.report.seconds += (Date.now() - started) / 1000;
    }
    s.report.result = 'rollback-failed';
    this.line(s, s.report.error!);
  }

  /** The on-failure policy, and after an interrupt the way back: the hosts switched in this run return to their release before. */
  private async settle(states: HostState[], t: SwitchTarget, failed: boolean): Promise<void> {
    const cutShort = this.interrupted !== null && states.some((s) => !SETTLED.includes(s.report.result));
    if (!(cutShort || (failed && t.onFailure === 'rollback'))) return;
    // A host still switching when the run had to end cannot be rolled back now (it holds the app's lock).
    const stillSwitching = (s: HostState) => this.hurried && s.report.result === 'unknown';
    const toUndo = states.filter((s) => (s.switchedHere || s.report.result === 'unknown') && !stillSwitching(s));
    if (!toUndo.length) return;
    const why = cutShort ? `interrupted by ${this.interrupted}` : 'a host failed';
    await this.log.group(`rolling back ${toUndo.length} switched host(s) (${why})`, () =>
      pool(toUndo, Math.max(toUndo.length, 1), (s) => this.undo(s, t.application)),
    );
  }

  /**
   * deploy (stdin = bundle) or rollback (no stdin) across the fleet, running
   * each host's planned words. `requireRelease`: refuse unless every host
   * keeps the target (rollback).
   */
  async switch(verb: 'deploy' | 'rollback', target: SwitchTarget, opts: { stdin?: Buffer; dryRun?: boolean; requireRelease?: boolean } = {}): Promise<FleetReport> {
    let release = target.release || null;
    const dryRun = !!opts.dryRun;
    const t = target;
    const states = t.hosts.map((h) => this.newState(h));
    if (dryRun && states.some((s) => !s.command.includes('--dry-run'))) throw new Error('internal: a dry run whose words lack --dry-run');
    const report = async (exitCode: number, summary: string, reunite: Reunite | null = null): Promise<FleetReport> => {
      await this.release(states);
      for (const s of states) this.drop(s);
      return { verb, application: t.application, environment: t.environment, release, dryRun, exitCode, summary, hosts: states.map((s) => s.report), reunite };
    };
    const refuse = (exitCode: number, summary: string, who: HostState[], result: HostResult, error?: (s: HostState) => string): Promise<FleetReport> => {
      for (const s of who) {
        s.report.result = result;
        if (error) s.report.error = error(s);
      }
      return report(exitCode, summary);
    };

    // 1. Preflight on every host; any failure stops the run before a host changes.
    await this.log.group('preflight', () => this.preflight(states, t.application, t.router, t.concurrency, !!opts.requireRelease));
    const bad = states.filter((s) => s.report.error);
    if (bad.length) return report(ExitCode.Refused, `preflight failed on ${bad.length} of ${states.length} hosts; nothing was changed`);
    const befores = states.map((s) => ({ name: s.spec.name, current: s.report.before, previous: s.previous }));
    const split = reuniteTarget(befores);
    if (split) this.log.warn(`the hosts run different releases (${whereEach(befores)}); to put every host on ${split}: ${reuniteCommand(t.environment, split)}`);

    // 2. Nobody else is deploying (a confirmed rollback's host that found the lock taken answers only that).
    const locked = states.filter((s) => s.lockedBy);
    if (locked.length && !dryRun) {
      return refuse(ExitCode.Locked, `${t.application} is locked by ${locked[0].lockedBy} on ${locked.map((s) => s.spec.name).join(', ')}; nothing was changed`, locked, 'locked', (s) => `locked by ${s.lockedBy}`);
    }

    // 3. The target: rollback without --to goes to the previous release shared by every host.
    if (verb === 'rollback' && !release) {
      const d = this.defaultTarget(states, t);
      if ('refusal' in d) return refuse(ExitCode.Refused, d.refusal, states, 'refused');
      release = d.target;
    }
    const goal = release!;

    // 4. Every host keeps the target (rollback).
    if (opts.requireRelease) {
      const missing = states.filter((s) => !(s.kept ?? []).includes(goal));
      if (missing.length) {
        return refuse(ExitCode.Refused, `release ${goal} is missing on ${missing.map((s) => s.spec.name).join(', ')}; no host was switched`, missing, 'refused', (s) => `release ${goal} is not kept on this host (kept: ${(s.kept ?? []).join(', ') || 'none'})`);
      }
    }

    // 5. Batches in order; within a batch, bounded concurrency.
    const failed = await this.batches(states, t, verb, goal, opts.stdin, dryRun);

    // 6. The on-failure policy, or the way back after an interrupt.
    if (!dryRun) await this.settle(states, t, failed);

    const before = split ? null : (befores[0]?.current ?? null);
    const v = verdict({ hosts: states.map((s) => ({ name: s.spec.name, result: s.report.result, after: s.report.after })), release: goal, before, dryRun, interrupted: this.interrupted, environment: t.environment });
    return report(v.exitCode, v.summary, v.reunite);
  }

  /**
   * Ends the wait of every host whose confirmed rollback was not told to go
   * (a refusal, a host already on the target, an interrupt): its stdin ends,
   * it changes nothing and lets go of the lock. Waits (bounded) for them.
   */
  private async release(states: HostState[]): Promise<void> {
    const waiting = states.filter((s) => s.confirm);
    for (const s of waiting) s.confirm!.say(null);
    if (!waiting.length) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled(waiting.map((s) => s.confirm!.run)),
      new Promise<void>((r) => (timer = setTimeout(r, 10_000))),
    ]);
    clearTimeout(timer);
    for (const s of waiting) s.confirm = null;
  }

  /** Runs the batches; returns whether a host failed. */
  private async batches(states: HostState[], t: SwitchTarget, verb: 'deploy' | 'rollback', goal: string, stdin: Buffer | undefined, dryRun: boolean): Promise<boolean> {
    let failed = false;
    const keepGoing = () => !this.interrupted && (!failed || t.onFailure === 'continue');
    const order = [...new Set(states.map((s) => s.batch))].sort((a, b) => a - b);
    for (const b of order) {
      const batch = states.filter((s) => s.batch === b);
      if (!keepGoing()) break;
      if (order.length > 1) this.log.info(`batch ${b + 1} of ${order.length}: ${batch.map((s) => s.spec.name).join(', ')}`);
      await pool(
        batch,
        t.concurrency,
        async (s) => {
          if (verb === 'rollback' && s.report.before === goal) {
            s.report.result = 'unchanged';
            this.line(s, `already on ${goal}`);
            return;
          }
          await this.switchHost(s, t.application, goal, stdin, dryRun);
          if (!SETTLED.includes(s.report.result)) failed = true;
        },
        keepGoing,
      );
    }
    return failed;
  }

  /** status | releases | remove | list on every host; one table. `environment` names the reunite command when hosts disagree. */
  async query(verb: 'status' | 'releases' | 'remove' | 'list', application: string, hosts: HostSpec[], concurrency: number, environment: string | null = null): Promise<FleetReport> {
    const states = hosts.map((h) => this.newState({ host: h, batch: 0, command: [] }));
    const words = verb === 'status' ? statusWords(application) : verb === 'releases' ? releasesWords(application) : verb === 'list' ? listWords(application) : removeWords(application);
    const details: Record<string, ResultEvent | null> = {};
    await pool(states, Math.max(concurrency, 10), async (s) => {
      const started = Date.now();
      try {
        const r = await this.run(s, words, Math.min(this.timeout, verb === 'remove' ? this.timeout : 60), { signal: verb === 'remove' ? undefined : this.following.signal });
        details[s.spec.name] = r.result;
        if (r.exitCode === EXIT_CODES.ok && r.result) {
          s.report.result = 'ok';
          s.report.before = r.result.current ?? (verb === 'releases' ? (r.result.releases ?? []).find((x) => x.current)?.id ?? null : null);
          s.previous = r.result.previous ?? null;
          s.report.after = verb === 'remove' ? null : s.report.before;
        } else {
          s.report.result = r.exitCode === EXIT_CODES.locked ? 'locked' : 'failed';
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
    const answered = states.filter((s) => s.report.result === 'ok').map((s) => ({ name: s.spec.name, current: s.report.before, previous: s.previous }));
    const target = verb === 'status' || verb === 'releases' ? reuniteTarget(answered) : null;
    const reunite = target ? { release: target, command: reuniteCommand(environment, target) } : null;
    const summary = bad.length
      ? `${bad.length} of ${states.length} hosts did not answer ${verb}${bad.some((s) => s.report.result === 'unreachable') ? ` (unreachable: ${bad.filter((s) => s.report.result === 'unreachable').map((s) => s.spec.name).join(', ')})` : ''}`
      : verb === 'remove'
        ? `${application} removed from ${states.length} hosts`
        : verb === 'list'
          ? `${states.length} hosts listed`
          : reunite
            ? `the hosts run different releases (${whereEach(answered)}); to put every host on ${reunite.release}: ${reunite.command}`
            : `${states.length} hosts on ${answered[0]?.current ?? '(none)'}`;
    return { verb, application, environment, release: null, dryRun: false, exitCode: bad.length ? ExitCode.Failed : ExitCode.Ok, summary, hosts: states.map((s) => s.report), details, reunite };
  }
}

function reasonOf(signal: AbortSignal | undefined, fallback: string): string {
  const r: unknown = signal?.reason;
  if (typeof r === 'string') return r;
  if (r instanceof Error && /^interrupted by (\S+)/.test(r.message)) return /^interrupted by (\S+)/.exec(r.message)![1];
  if (r instanceof Error && r.name !== 'AbortError') return r.message;
  return fallback;
}
