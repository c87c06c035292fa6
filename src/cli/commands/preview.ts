import { GitHubApi } from '../../adapters/github';
import { loadDeliveryfile, loadPlan, previewApplication, previewUrl } from '../../adapters/load-plan';
import { ConfigurationError, ExitCode, errorMessage } from '../../core/errors';
import type { Logger } from '../../core/logger';
import type { OptionName } from '../../core/options';
import { parseDuration, previewComment, commentMarker, stalePreviews, type ListedApp } from '../../core/preview';
import type { HostSpec } from '../../core/types';
import { FleetRun, type FleetReport } from '../../fleet/executor';

import { readCliOptions, type OptionValues } from '../args';
import { namingOf, type CliContext, type Command, type RunContext } from '../command';
import { SSH_OPTIONS, connectorFrom, fleetRequest, interruptSignal, loadFleet, planOptionsOf, str, withUser } from '../fleet';

const OPTS = [
  ...SSH_OPTIONS,
  'pr-number',
  'teardown',
  'images',
  'secrets',
  'registry-username',
  'registry-password',
  'release',
  'on-failure',
  'token',
  'repository',
  'cleanup-older-than',
] as const satisfies readonly OptionName[];

/** What a preview run did; `--json` prints it, the action turns it into outputs. */
export interface PreviewResult {
  verb: 'preview';
  action: 'deploy' | 'teardown';
  application: string;
  number: number;
  url: string | null;
  release: string | null;
  exitCode: number;
  summary: string;
  hosts: FleetReport['hosts'];
  /** Stale previews removed by cleanup-older-than. */
  removed: string[];
  comment: string | null;
}

export interface PreviewContext {
  /** The PR number and head sha from the event (Actions), when the options give none. */
  pr?: { number: number; sha: string | null; closed: boolean } | null;
  /** GITHUB_API_URL */
  apiUrl?: string;
}

/** `rollout list GROUP` on every host, through the fleet (timeouts; a host that does not answer is named, not an internal error). */
async function listApps(run: FleetRun, hosts: HostSpec[], group: string, logger: Logger, concurrency: number): Promise<ListedApp[]> {
  const r = await run.query('list', group, hosts, concurrency);
  for (const h of r.hosts) {
    if (h.result !== 'ok') logger.warn(`cleanup: ${h.host} did not answer \`rollout list ${group}\` (${h.result}: ${h.error}); its stale previews stay until a later run`);
  }
  const apps: ListedApp[] = [];
  for (const d of Object.values(r.details ?? {})) for (const a of d?.apps ?? []) if (typeof a.app === 'string') apps.push({ app: a.app, current: a.current ?? null });
  logger.debug(`listed ${apps.length} app(s) of ${group}`);
  return apps;
}

export async function runPreview(ctx: RunContext, values: OptionValues, pc: PreviewContext = {}): Promise<PreviewResult> {
  const { logger } = ctx;
  const n = namingOf(ctx);
  // The request first (secrets masked, limits checked), with the Deliveryfile's preview environment as the default.
  const first = fleetRequest(ctx, values, { defaultEnv: 'qa' });
  const df = await loadDeliveryfile(first.file);
  const req = str(values, 'env') ? first : { ...first, env: df.data.preview?.environment ?? 'qa' };
  const env = req.env;

  const prText = str(values, 'pr-number');
  let number: number;
  if (prText !== undefined) {
    if (!/^[1-9][0-9]{0,9}$/.test(prText.trim())) throw new ConfigurationError(`${n.say('pr-number')}: expected a pull request number, got ${JSON.stringify(prText)}`);
    number = Number(prText.trim());
  } else if (pc.pr) {
    number = pc.pr.number;
  } else {
    throw new ConfigurationError(`preview: no pull request number: give ${n.say('pr-number')} or run on a pull_request event`);
  }
  const teardown = values.teardown === true || (values.teardown === undefined && !!pc.pr?.closed);
  const application = previewApplication(df.data.application, number);
  const group = df.data.application.split('/')[0];

  const token = str(values, 'token');
  const repository = str(values, 'repository') ?? ctx.env.GITHUB_REPOSITORY;
  const github = token && repository ? new GitHubApi(token, repository, pc.apiUrl ?? ctx.env.GITHUB_API_URL, logger) : null;

  const { hosts } = await loadFleet(ctx, req, df);
  const connector = connectorFrom(ctx, values, req, { user: df.data.ssh.user, jumpHost: df.data.ssh.jump_host });
  const stop = interruptSignal();
  const timeoutSeconds = req.timeoutSeconds;
  const concurrency = req.concurrency ?? df.concurrency;
  try {
    let report: FleetReport;
    let url: string | null = null;
    if (teardown) {
      report = await logger.group(`remove ${application}`, () =>
        new FleetRun({ connector, logger, timeoutSeconds, signal: stop.signal }).query('remove', application, withUser(hosts, req), concurrency),
      );
    } else {
      const plan = await loadPlan({ ...planOptionsOf(ctx, req), dryRun: undefined, gitSha: pc.pr?.sha ?? undefined, preview: { number } });
      url = previewUrl(df, number);
      const steps = plan.steps.map((s) => ({ ...s, host: withUser([s.host], req)[0] }));
      report = await new FleetRun({ connector, logger, timeoutSeconds, signal: stop.signal, hurry: stop.hurry }).switch(
        'deploy',
        {
          application: plan.application,
          environment: env,
          release: plan.release,
          hosts: steps.map((s) => ({ host: s.host, batch: s.batch, command: s.command })),
          concurrency,
          onFailure: req.onFailure ?? plan.onFailure,
          router: plan.router,
        },
        { stdin: plan.bundle.bytes },
      );
    }

    // Stale previews of PRs that are no longer open.
    const removed: string[] = [];
    const olderThan = str(values, 'cleanup-older-than');
    if (olderThan !== undefined) {
      const seconds = parseDuration(olderThan);
      if (!github) {
        logger.warn('cleanup-older-than: skipped, it needs a GitHub token and repository to know which pull requests are still open');
      } else {
        await logger.group(`clean up previews of closed pull requests older than ${olderThan}`, async () => {
          const apps = await listApps(new FleetRun({ connector, logger, timeoutSeconds }), withUser(hosts, req), group, logger, concurrency);
          const numbers = [...new Set(apps.map((a) => a.app))];
          const open = new Map<string, boolean>();
          for (const a of numbers) {
            const m = /-pr-([0-9]+)$/.exec(a);
            if (m && a.startsWith(`${df.data.application}-pr-`)) open.set(m[1], (await github.pullState(Number(m[1]))) === 'open');
          }
          const stale = stalePreviews(apps, df.data.application, (n) => open.get(String(n)) ?? false, new Date(), seconds, teardown ? null : number);
          for (const s of stale) {
            logger.info(`removing ${s.app} (pull request #${s.number} is not open; release ${s.release ?? 'unknown'})`);
            const r = await new FleetRun({ connector, logger, timeoutSeconds }).query('remove', s.app, withUser(hosts, req), concurrency);
            if (r.exitCode === 0) removed.push(s.app);
            else logger.error(`cleanup: ${s.app}: ${r.summary}`);
          }
          if (!stale.length) logger.info('no stale preview');
        });
      }
    }

    // One comment on the PR, created or updated.
    let comment: string | null = null;
    if (github && report.exitCode === 0) {
      try {
        const c = await github.upsertComment(
          number,
          commentMarker(df.data.application),
          previewComment({ base: df.data.application, application, url, release: report.release, sha: pc.pr?.sha ?? null, removed: teardown }),
        );
        comment = c.url;
        logger.info(`${c.updated ? 'updated' : 'posted'} the preview comment on #${number}`);
      } catch (err) {
        logger.warn(`the preview comment on #${number} was not posted: ${errorMessage(err)}`);
      }
    } else if (!github) {
      logger.info('no GitHub token or repository: no PR comment');
    }

    const summary = report.exitCode === 0 ? (teardown ? `${application} removed` : `${application} ${report.release} at ${url ?? '(no preview url template)'}`) : report.summary;
    return {
      verb: 'preview',
      action: teardown ? 'teardown' : 'deploy',
      application,
      number,
      url: teardown ? null : url,
      release: teardown ? null : report.release,
      exitCode: report.exitCode,
      summary,
      hosts: report.hosts,
      removed,
      comment,
    };
  } finally {
    stop.dispose();
    connector.close();
  }
}

export const previewCommand: Command = {
  name: 'preview',
  summary: 'deploy pull request N as group/app-pr-N on QA with its preview route, or remove it (--teardown); clean up stale previews',
  options: OPTS,
  usage: 'delivery preview --pr N [--teardown] [--env qa] [--images LINES] [--cleanup-older-than 7d --repository owner/repo] (token in DELIVERY_GITHUB_TOKEN) [--json]',
  async run(ctx: CliContext) {
    const { values } = readCliOptions(OPTS, ctx.argv, ctx.env);
    const r = await runPreview(ctx, values);
    if (values.json === true) ctx.stdout.write(JSON.stringify({ ok: r.exitCode === 0, code: r.exitCode, ...r }) + '\n');
    else {
      ctx.stdout.write(`${r.summary}\n`);
      for (const h of r.hosts) ctx.stdout.write(`  ${h.host.padEnd(16)} ${h.result.padEnd(12)} ${(h.after ?? '').padEnd(28)} ${h.seconds.toFixed(1)}s${h.error ? `  ${h.error}` : ''}\n`);
      for (const a of r.removed) ctx.stdout.write(`  removed stale preview ${a}\n`);
    }
    if (r.exitCode !== 0) ctx.logger.error(`preview: ${r.summary}`);
    return r.exitCode || ExitCode.Ok;
  },
};
