/**
 * A fleet report (deploy, rollback) as an action's outputs, annotations and
 * job summary. The report is the typed value runDeploy/runRollback return;
 * nothing is parsed back from printed text.
 */
import type { FleetReport, HostReport } from '../fleet/executor';
import type { ActionsLogger } from './logger';
import { esc, writeSummary } from './run';
import { toolkit } from './toolkit';

const core = toolkit();

const OK_RESULTS: readonly string[] = ['switched', 'ok', 'unchanged'];
export const hostOk = (h: HostReport): boolean => OK_RESULTS.includes(h.result);

/** The `result` output: one entry per host. */
export function resultOutput(report: FleetReport) {
  return report.hosts.map((h) => ({
    host: h.host,
    ok: hostOk(h),
    result: h.result,
    release: h.after,
    previous: h.before,
    seconds: h.seconds,
    error: h.error,
  }));
}

/** What rolls an environment back, for the summary of a failed deploy. */
export function rollbackHint(environment: string, release: string | null): string {
  return (
    `To roll <code>${esc(environment)}</code> back, run the rollback workflow (the <code>actions/rollback</code> action with ` +
    `<code>environment: ${esc(environment)}</code>${release ? `, and <code>release:</code> to pick one` : ''}) or ` +
    `<code>delivery rollback --env ${esc(environment)}</code>; <code>delivery status --env ${esc(environment)}</code> shows what each host runs.`
  );
}

/** Outputs `release`, `hosts`, `result`; an ::error per failed host; the job summary. */
export async function reportFleet(report: FleetReport, logger: ActionsLogger, extraFacts: [string, string][] = []): Promise<void> {
  const env = report.environment ?? '';
  core.setOutput('release', report.release ?? '');
  core.setOutput('hosts', JSON.stringify(report.hosts.map((h) => h.host)));
  core.setOutput('result', logger.mask(JSON.stringify(resultOutput(report))));
  const failed = report.hosts.filter((h) => !hostOk(h));
  for (const h of failed) logger.error(`host ${h.host}: ${h.result}${h.error ? `: ${h.error}` : ''}`);
  const notes: string[] = [];
  if (report.exitCode !== 0) {
    notes.push(`<p><strong>${esc(report.summary)}</strong></p>`);
    if (failed.length) {
      notes.push(`<p>Failed hosts:</p><ul>${failed.map((h) => `<li><code>${esc(h.host)}</code> (${esc(h.address)}): ${esc(h.result)}${h.error ? ` — ${esc(h.error)}` : ''}</li>`).join('')}</ul>`);
    }
    if (report.verb === 'deploy' && env) notes.push(`<p>${rollbackHint(env, report.release)}</p>`);
  }
  await writeSummary(logger, {
    title: `${report.verb} ${env}${report.dryRun ? ' (dry run)' : ''}${report.exitCode === 0 ? '' : ` failed (exit ${report.exitCode})`}`.replace(/\s+/g, ' ').trim(),
    facts: [['release', report.release || '(none)'], ...extraFacts],
    rows: report.hosts.map((h) => ({
      host: h.host,
      result: h.result,
      release: h.after ?? '',
      seconds: h.seconds.toFixed(1),
      reason: hostOk(h) ? '' : (h.error ?? ''),
    })),
    notes,
  });
  if (report.exitCode !== 0) core.setFailed(`${report.verb}: ${logger.mask(report.summary)}`);
}
