/**
 * How a fleet run ended, from the hosts' outcomes alone: pure functions, so
 * every ending (ok, failed but on one release, split, cancelled) is tested
 * on its own (test/unit/fleet-verdict.test.ts). The executor gathers the
 * outcomes; these decide the exit code and the one line that says it.
 */
import { commandLine } from '../core/commands';
import { ExitCode } from '../core/errors';

export type HostResult =
  | 'switched' // on the new release (deploy) or the target (rollback)
  | 'ok' // dry run or read-only verb succeeded
  | 'unchanged' // already on the target
  | 'failed' // did not switch; still on its release before
  | 'rolled-back' // switched in this run, then returned to its release before
  | 'going-back' // its rollback to the release before runs on the host (detached) and was not followed to the end (second interrupt)
  | 'rollback-failed' // switched, and could not be returned
  | 'locked' // another deploy holds the app's lock
  | 'refused' // preflight failed (host key, auth, protocol, router, release missing)
  | 'unreachable'
  | 'not-started' // never touched (preflight failed elsewhere, a failure stopped the run, interrupted)
  | 'unknown'; // lost contact and status could not tell (or still switching when the run had to end)

/** What the verdict needs of one host. */
export interface HostOutcome {
  name: string;
  result: HostResult;
  /** The release the host runs at the end (null: none, or unknown). */
  after: string | null;
}

export interface VerdictInput {
  hosts: readonly HostOutcome[];
  /** The release deployed or rolled back to. */
  release: string;
  /** The release every host was on before the run, when they agreed (what a cancelled run returns to). */
  before: string | null;
  dryRun: boolean;
  /** Why the run was cut short (`SIGINT`, …), or null. */
  interrupted: string | null;
  environment: string | null;
}

export interface Verdict {
  exitCode: ExitCode;
  summary: string;
  /** When the fleet is split: the release that reunites it and the command that does it. */
  reunite: Reunite | null;
}

export interface Reunite {
  release: string;
  /** e.g. `delivery rollback --env prod --to 20261201T1200Z-abc1234` */
  command: string;
}

/** Results that are no failure of the host (the run as a whole may still have failed). */
const DONE: readonly HostResult[] = ['switched', 'ok', 'unchanged', 'rolled-back', 'going-back', 'not-started'];
const ON_TARGET: readonly HostResult[] = ['switched', 'ok', 'unchanged'];

/** `delivery rollback --env ENV --to RELEASE`: the command that puts every host on `release`. */
export function reuniteCommand(environment: string | null, release: string): string {
  return commandLine(['delivery', 'rollback', '--env', environment ?? 'ENV', '--to', release]);
}

/** `r2 on h1; r1 on h2, h3` */
export function whereEach(hosts: readonly { name: string; current: string | null }[]): string {
  const by = new Map<string, string[]>();
  for (const h of hosts) {
    const v = h.current ?? '(none)';
    by.set(v, [...(by.get(v) ?? []), h.name]);
  }
  return [...by].map(([v, names]) => `${v} on ${names.join(', ')}`).join('; ');
}

/**
 * The release that reunites hosts that disagree, or null when they agree.
 * The release the others moved away from wins (it is current on some hosts
 * and the previous one on every other host: a deploy that stopped half way);
 * else the release most hosts run (the first one on a tie).
 */
export function reuniteTarget(hosts: readonly { name: string; current: string | null; previous?: string | null }[]): string | null {
  const currents = [...new Set(hosts.map((h) => h.current))];
  if (currents.length <= 1) return null;
  for (const c of currents) {
    if (c === null) continue;
    if (hosts.every((h) => h.current === c || h.previous === c)) return c;
  }
  let best: string | null = null;
  let most = 0;
  for (const c of currents) {
    const n = hosts.filter((h) => h.current === c).length;
    if (c !== null && n > most) [best, most] = [c, n];
  }
  return best;
}

/** The exit code and the one line for a deploy or rollback. */
export function verdict(v: VerdictInput): Verdict {
  const failed = v.hosts.filter((h) => !DONE.includes(h.result));
  const n = v.hosts.length;
  if (v.hosts.every((h) => ON_TARGET.includes(h.result))) {
    return { exitCode: ExitCode.Ok, summary: v.dryRun ? `dry run ok on ${n} hosts` : `${n} hosts on ${v.release}`, reunite: null };
  }
  const unknown = v.hosts.filter((h) => h.result === 'unknown' || h.result === 'rollback-failed');
  const versions = new Set(v.hosts.map((h) => h.after ?? '(none)'));
  const why = failed.map((h) => `${h.name}: ${h.result}`).join(', ');
  if (unknown.length || versions.size > 1) {
    const target = v.before ?? reuniteTarget(v.hosts.map((h) => ({ name: h.name, current: h.after }))) ?? v.release;
    const reunite = { release: target, command: reuniteCommand(v.environment, target) };
    const where = whereEach(v.hosts.map((h) => ({ name: h.name, current: h.after })));
    const after = [v.interrupted ? `interrupted by ${v.interrupted}` : '', why].filter(Boolean).join(', ');
    return {
      exitCode: ExitCode.Split,
      summary: `the fleet is NOT on one version (${where}${unknown.length ? `; unknown: ${unknown.map((h) => h.name).join(', ')}` : ''}) after: ${after}; to put every host on ${target}: ${reunite.command}`,
      reunite,
    };
  }
  const [on] = versions;
  if (v.interrupted) {
    const back = v.hosts.filter((h) => h.result === 'rolled-back').length;
    const going = v.hosts.filter((h) => h.result === 'going-back').map((h) => h.name);
    const what = v.dryRun ? 'dry run cut short' : back ? `${back} switched host(s) went back` : going.length ? '' : 'no host had switched';
    const still = going.length ? `${what ? ', ' : ''}${going.join(', ')} going back to ${on} on the host (\`${commandLine(['delivery', 'status', '--env', v.environment ?? 'ENV'])}\` shows when it is done)` : '';
    const where = going.length ? `every host is on ${on} or on its way back` : `every host is on ${on}`;
    return { exitCode: ExitCode.Cancelled, summary: `cancelled by ${v.interrupted}: ${what}${still}${why ? ` (${why})` : ''}; ${where}`, reunite: null };
  }
  const onlyLocks = failed.length > 0 && failed.every((h) => h.result === 'locked');
  return { exitCode: onlyLocks ? ExitCode.Locked : ExitCode.Failed, summary: `failed (${why}); every host is on ${on}`, reunite: null };
}
