/**
 * The client's side of the wire (docs/protocol.md), shared by src/ssh (which
 * speaks it over ssh2) and src/fleet (which drives hosts through it):
 *
 * - the connection port: what the fleet needs from a host (run one
 *   `rollout …` command, optionally with the bundle on stdin, and hear its
 *   events). SSH implements it; unit tests use an in-memory fake.
 * - the events' types as the fleet reads them; the tolerant reader that
 *   parses them (zod) is ./protocol-events, loaded by `eventReader()` on
 *   the first connect, not before it (issue 13, row 4: no zod before the
 *   first byte reaches a host).
 *
 * Pure: no I/O.
 */
import type { z } from 'zod';
import type { PhaseEvent as StrictPhase, PreparedEvent as StrictPrepared, ResultEvent as StrictResult } from './events';
import type { HostSpec } from './types';

// ---------------------------------------------------------------- events as the fleet reads them

/** Widens a strict type the way `loosen` widens its schema. */
type Widen<T> = T extends string ? string : T extends number ? number : T extends boolean ? boolean : T extends readonly (infer E)[] ? Widen<E>[] : T extends object ? { [K in keyof T]?: Widen<T[K]> | null } & Record<string, unknown> : T;
type StrictResultT = z.infer<typeof StrictResult>;
type AllKeys<T> = T extends unknown ? keyof T : never;
type FieldOf<T, K extends PropertyKey> = T extends unknown ? (K extends keyof T ? T[K] : never) : never;
type Required = 'event' | 'verb' | 'ok' | 'code';

export type ResultEvent = { event: 'result'; verb: string; ok: boolean; code: number } & {
  [K in Exclude<AllKeys<StrictResultT>, Required>]?: Widen<FieldOf<StrictResultT, K>> | null;
} & Record<string, unknown>;
export type PhaseEvent = { event: 'phase'; phase: string } & { [K in Exclude<keyof z.infer<typeof StrictPhase>, 'event' | 'phase'>]?: string | null } & Record<string, unknown>;
export type LogEvent = { event: 'log'; level: string; message: string; time?: string | null } & Record<string, unknown>;
export type PreparedEvent = { event: 'prepared' } & { [K in Exclude<keyof z.infer<typeof StrictPrepared>, 'event'>]?: Widen<z.infer<typeof StrictPrepared>[K]> | null } & Record<string, unknown>;
export type RolloutEvent = PhaseEvent | LogEvent | PreparedEvent | ResultEvent | { event: 'unknown'; line: string };


let reader: Promise<typeof import('./protocol-events.js')> | undefined;

/** The tolerant event reader (./protocol-events, zod): loaded once, on first use; the SSH client asks for it right after its first connect. */
export function eventReader(): Promise<typeof import('./protocol-events.js')> {
  return (reader ??= import(/* webpackMode: "eager" */ './protocol-events.js'));
}

/** Splits a byte stream into lines, calling `onLine` for each complete one. */
export function lineSplitter(onLine: (line: string) => void): { push(chunk: Buffer | string): void; end(): void } {
  let rest = '';
  return {
    push(chunk) {
      rest += chunk.toString();
      let i: number;
      while ((i = rest.indexOf('\n')) >= 0) {
        const line = rest.slice(0, i).replace(/\r$/, '');
        rest = rest.slice(i + 1);
        if (line) onLine(line);
      }
    },
    end() {
      if (rest) onLine(rest);
      rest = '';
    },
  };
}

// ---------------------------------------------------------------- connection port

/** Why a host could not be reached or a command did not finish. */
export type TransportKind =
  | 'host-key' // refused before authentication
  | 'auth' // authentication failed
  | 'connect-timeout' // no SSH session within the connect timeout
  | 'unreachable' // refused, no route, DNS
  | 'cut' // the connection dropped while a command ran
  | 'timeout' // the per-host overall timeout fired
  | 'aborted'; // the run was interrupted

export class TransportError extends Error {
  constructor(
    readonly kind: TransportKind,
    message: string,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

/** The host could not be reached at all (as opposed to a command that broke off). */
export function isUnreachable(e: unknown): boolean {
  return e instanceof TransportError && (e.kind === 'unreachable' || e.kind === 'connect-timeout');
}

export interface RunOptions {
  /**
   * Written to the command's stdin, then stdin is closed. A promise is
   * written when it settles (null, or a rejection: stdin is closed with
   * nothing), so a command can wait for the client's word (rollback --confirm).
   */
  stdin?: Buffer | Promise<Buffer | null>;
  onEvent?(event: RolloutEvent): void;
  onStderr?(line: string): void;
  /** Bytes of stdin written so far. */
  onUpload?(bytes: number): void;
  /** Aborting closes the channel (and the command's stdin). */
  signal?: AbortSignal;
}

export interface RunResult {
  /** The remote exit code; null when the channel closed without one. */
  exitCode: number | null;
  /** The final `result` event, when rollout printed one. */
  result: ResultEvent | null;
  events: RolloutEvent[];
  /** The last stderr lines, for error messages. */
  stderrTail: string[];
}

export interface HostConnection {
  /** Runs `words` (e.g. ['rollout','status','g/a']). Throws TransportError when the connection fails. */
  run(words: readonly string[], options?: RunOptions): Promise<RunResult>;
  close(): void;
}

export interface Connector {
  /** Opens one connection; throws TransportError (host key, auth, timeout, unreachable). */
  connect(host: HostSpec, signal?: AbortSignal): Promise<HostConnection>;
}
