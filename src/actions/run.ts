/**
 * The one wrapper every action's `run()` goes through: the inputs read (and
 * masked) through the context module, the typed command called by the
 * action, and an error turned into an `::error` annotation with the exit code
 * of the CLI (2 for the user's mistake, 5 failed, …). A Deliveryfile, compose
 * or cluster file error is annotated on its file, line and column, so it shows
 * on that line in a pull request; a bug shows its stack.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { RunContext } from '../cli/command';
import { ConfigurationError, DeliveryError, ExitCode, errorMessage } from '../core/errors';
import { ACTION_OPTIONS, actionContext, coreInputs, readInputs, workspaceOf, type ActionName, type Inputs } from './context';
import { ActionsLogger } from './logger';
import { toolkit } from './toolkit';

const core = toolkit();

export interface ActionRun<A extends ActionName> {
  inputs: Inputs<A>;
  ctx: RunContext;
  logger: ActionsLogger;
}

/** A path as the annotation wants it: relative to the workspace when inside it. */
export function workspacePath(file: string, workspace: string): string {
  const rel = path.relative(workspace, path.resolve(workspace, file));
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

/**
 * The file position of one line of a ConfigurationError: the error's own
 * `location` for its first line, else the documented `FILE:LINE:COL ` prefix
 * every file error starts with (a Deliveryfile error lists one problem a
 * line), when FILE exists in the workspace.
 */
export function lineLocation(line: string, workspace: string, first?: { file: string; line: number; col: number }): { file: string; line: number; col: number } | null {
  if (first) return first;
  const m = /^(.+?):([0-9]+):([0-9]+)(?::| )/.exec(line);
  if (!m || !existsSync(path.resolve(workspace, m[1]))) return null;
  return { file: m[1], line: Number(m[2]), col: Number(m[3]) };
}

/** The failure of an action: one ::error per problem (on its file's line when it has one), and the exit code. */
export function failAction(err: unknown, logger: ActionsLogger, env: NodeJS.ProcessEnv = process.env): number {
  const ws = workspaceOf(env);
  // Paths in messages as the user wrote them: relative to the checkout.
  const text = (m: string) => logger.mask(m.split(ws + path.sep).join(''));
  if (err instanceof ConfigurationError) {
    const lines = err.message.split('\n').filter((l) => l.trim());
    const locs = lines.map((l, i) => lineLocation(l, ws, i === 0 ? err.location : undefined));
    if (lines.length === 1 && !locs[0]) core.setFailed(text(err.message));
    else {
      lines.forEach((l, i) => {
        const loc = locs[i];
        if (loc) core.error(text(l), { title: 'delivery', file: workspacePath(loc.file, ws), startLine: loc.line, startColumn: loc.col });
        else core.error(text(l));
      });
    }
    process.exitCode = err.exitCode;
    return err.exitCode;
  }
  if (err instanceof DeliveryError) {
    core.setFailed(text(err.message));
    process.exitCode = err.exitCode;
    return err.exitCode;
  }
  core.setFailed(text(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : errorMessage(err)}`));
  process.exitCode = ExitCode.Internal;
  return ExitCode.Internal;
}

/**
 * Runs one action: inputs (masked first), the context, then `fn`, whose
 * number is the exit code. Never rejects: the error is the step's failure.
 */
export async function runAction<A extends ActionName>(action: A, fn: (run: ActionRun<A>) => Promise<number | void>): Promise<void> {
  const logger = new ActionsLogger();
  try {
    if (!(action in ACTION_OPTIONS)) throw new Error(`no action ${action}`);
    const inputs = readInputs(action, coreInputs(), logger);
    const code = await fn({ inputs, ctx: actionContext(process.env, logger), logger });
    if (code) process.exitCode = code;
  } catch (err) {
    failAction(err, logger);
  }
}

/** One row per host in the job summary. */
export interface SummaryRow {
  host: string;
  result: string;
  release: string;
  seconds: string;
  reason?: string;
}

export interface SummaryParts {
  title: string;
  facts: [string, string][];
  rows: SummaryRow[];
  /** Extra paragraphs (HTML allowed, masked): what failed and what to run next. */
  notes?: string[];
}

/** Writes the job summary (GITHUB_STEP_SUMMARY): a heading, facts, a host table, notes. */
export async function writeSummary(logger: ActionsLogger, parts: SummaryParts): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  const s = core.summary.addHeading(logger.mask(parts.title), 3);
  if (parts.facts.length) s.addList(parts.facts.map(([k, v]) => logger.mask(`${k}: ${v}`)));
  if (parts.rows.length) {
    const withReason = parts.rows.some((r) => r.reason);
    s.addTable([
      ['host', 'result', 'release', 'seconds', ...(withReason ? ['reason'] : [])].map((data) => ({ data, header: true })),
      ...parts.rows.map((r) => [r.host, r.result, r.release, r.seconds, ...(withReason ? [r.reason ?? ''] : [])].map((c) => logger.mask(c))),
    ]);
  }
  for (const n of parts.notes ?? []) s.addRaw(`\n${logger.mask(n)}\n`, true);
  await s.write();
}

/** HTML-escapes text for the summary. */
export function esc(t: string): string {
  return t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
