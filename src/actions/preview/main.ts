/**
 * actions/preview: on a pull_request event deploy `group/app-pr-N` to QA
 * with its preview route (opened, synchronize, reopened), or remove it
 * (closed); post or update one PR comment; clean up stale previews.
 */
import { runPreview } from '../../cli/commands/preview';
import { pullRequestOf } from '../../core/preview';
import { readEvent } from '../context';
import { hostOk } from '../report';
import { esc, runAction, writeSummary } from '../run';
import { toolkit } from '../toolkit';

const core = toolkit();

export function run(): Promise<void> {
  return runAction('preview', async ({ inputs, ctx, logger }) => {
    const pr = pullRequestOf(readEvent(process.env));
    const r = await runPreview(ctx, inputs, {
      pr: pr ? { number: pr.number, sha: pr.sha, closed: pr.action === 'closed' } : null,
      apiUrl: process.env.GITHUB_API_URL,
    });
    core.setOutput('url', r.url ?? '');
    core.setOutput('release', r.release ?? '');
    core.setOutput('app', r.application);
    core.setOutput('removed', r.removed.join('\n'));
    const failed = r.hosts.filter((h) => !hostOk(h));
    for (const h of failed) logger.error(`host ${h.host}: ${h.result}${h.error ? `: ${h.error}` : ''}`);
    const link = r.url ? `<a href="${esc(r.url)}">${esc(r.url)}</a>` : null;
    await writeSummary(logger, {
      title: `preview ${r.application} ${r.action === 'teardown' ? 'removed' : 'deployed'}${r.exitCode ? ` failed (exit ${r.exitCode})` : ''}`,
      facts: [
        ['release', r.release ?? '(none)'],
        ...(r.removed.length ? ([['stale previews removed', r.removed.join(', ')]] as [string, string][]) : []),
      ],
      rows: r.hosts.map((h) => ({ host: h.host, result: h.result, release: h.after ?? '', seconds: h.seconds.toFixed(1), reason: hostOk(h) ? '' : (h.error ?? '') })),
      notes: [
        link && r.exitCode === 0 ? `<p>Preview: ${link}</p>` : r.action === 'deploy' && r.exitCode === 0 ? '<p>No preview URL: the Deliveryfile has no <code>preview.url</code> template.</p>' : '',
        r.exitCode !== 0 ? `<p><strong>${esc(r.summary)}</strong></p>` : '',
      ].filter(Boolean),
    });
    if (r.exitCode !== 0) core.setFailed(`preview: ${logger.mask(r.summary)}`);
    return r.exitCode;
  });
}
