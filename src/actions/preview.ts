/**
 * actions/preview: on a pull_request event deploy `group/app-pr-N` to QA
 * with its preview route (opened, synchronize, reopened), or remove it
 * (closed); post or update one PR comment; clean up stale previews.
 */
import { Writable } from 'node:stream';
import * as core from '@actions/core';
import { runPreview } from '../cli/commands/preview';
import { pullRequestOf } from '../core/preview';
import { cliEnv, readEvent, readInputs } from './context';
import { runAction, writeSummary } from './run';

runAction(async (logger) => {
  const inputs = readInputs('preview', process.env, logger);
  const event = readEvent(process.env);
  const pr = pullRequestOf(event);
  const env = cliEnv(inputs, process.env);
  const r = await runPreview(
    { argv: [], env, logger, stdout: new Writable({ write: (_c, _e, cb) => cb() }) },
    inputs,
    { pr: pr ? { number: pr.number, sha: pr.sha, closed: pr.action === 'closed' } : null, apiUrl: process.env.GITHUB_API_URL },
  );
  core.setOutput('url', r.url ?? '');
  core.setOutput('release', r.release ?? '');
  core.setOutput('app', r.application);
  core.setOutput('removed', r.removed.join('\n'));
  for (const h of r.hosts) if (!['switched', 'ok', 'unchanged'].includes(h.result)) logger.error(`host ${h.host}: ${h.result}${h.error ? `: ${h.error}` : ''}`);
  await writeSummary(
    logger,
    `preview ${r.application} ${r.action === 'teardown' ? 'removed' : 'deployed'}${r.exitCode ? ` failed (exit ${r.exitCode})` : ''}`,
    [
      ['url', r.url ?? '(none)'],
      ['release', r.release ?? '(none)'],
      ...(r.removed.length ? ([['stale previews removed', r.removed.join(', ')]] as [string, string][]) : []),
    ],
    r.hosts.map((h) => ({ host: h.host, result: h.result, release: h.after ?? '', seconds: h.seconds.toFixed(1) })),
  );
  if (r.exitCode !== 0) core.setFailed(`preview: ${r.summary}`);
  return r.exitCode;
});
