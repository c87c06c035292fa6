/**
 * Errors that carry an exit code. A ConfigurationError is the user's mistake
 * (bad Deliveryfile, cluster, compose file, flag): one clear line, exit 2.
 * Anything else that escapes is a bug: exit 1.
 */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The user's input is wrong; the message says what, where and what to do. */
export class ConfigurationError extends DeliveryError {
  constructor(
    message: string,
    /** Where in a file the mistake is (Deliveryfile, compose, cluster file), for `::error file=…,line=…,col=…::`. */
    readonly location?: { file: string; line: number; col: number },
  ) {
    super(message, ExitCode.Refused);
  }
}

/** Exit codes of the client (delivery CLI and actions). Listed in the README. */
export const ExitCode = {
  Ok: 0,
  Internal: 1,
  Refused: 2,
  Locked: 3,
  PullFailed: 4,
  Failed: 5,
  Split: 7,
  /** Cancelled (SIGINT/SIGTERM) and every host is on one release. */
  Cancelled: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
