/**
 * What the fleet executor needs from a host: run one `rollout …` command
 * (optionally with the bundle on stdin) and hear its events. The real
 * implementation is SSH (src/ssh/connection.ts); unit tests use an
 * in-memory fake. Keeping this small keeps the fleet logic testable.
 */
import type { HostSpec } from '../core/types';
import type { RolloutEvent, ResultEvent } from './events';

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

export interface RunOptions {
  /** Written to the command's stdin, then stdin is closed. */
  stdin?: Buffer;
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
