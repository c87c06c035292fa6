/**
 * The one wrapper every action entry runs in: an error becomes
 * `core.setFailed` (an ::error annotation) with the process exit code of the
 * CLI (2 for the user's mistake, 5 failed, …); a bug shows its stack.
 */
import * as core from '@actions/core';
import { DeliveryError, ExitCode, errorMessage } from '../core/errors';
import { ActionsLogger } from './logger';

export function runAction(fn: (logger: ActionsLogger) => Promise<number | void>): void {
  const logger = new ActionsLogger();
  fn(logger).then(
    (code) => {
      if (code) process.exitCode = code;
    },
    (err: unknown) => {
      if (err instanceof DeliveryError) {
        core.setFailed(logger.mask(err.message));
        process.exitCode = err.exitCode;
      } else {
        core.setFailed(logger.mask(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : errorMessage(err)}`));
        process.exitCode = ExitCode.Internal;
      }
    },
  );
}

/** One row per host in the job summary. */
export interface SummaryRow {
  host: string;
  result: string;
  release: string;
  seconds: string;
}

/** Writes the job summary (GITHUB_STEP_SUMMARY): a heading, the release, a host table. */
export async function writeSummary(logger: ActionsLogger, title: string, facts: [string, string][], rows: SummaryRow[]): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  const s = core.summary.addHeading(logger.mask(title), 3);
  if (facts.length) s.addList(facts.map(([k, v]) => logger.mask(`${k}: ${v}`)));
  if (rows.length) {
    s.addTable([
      [
        { data: 'host', header: true },
        { data: 'result', header: true },
        { data: 'release', header: true },
        { data: 'seconds', header: true },
      ],
      ...rows.map((r) => [r.host, r.result, r.release, r.seconds].map((c) => logger.mask(c))),
    ]);
  }
  await s.write();
}
