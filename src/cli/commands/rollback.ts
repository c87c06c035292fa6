import { readCliOptions } from '../args';
import type { Command } from '../command';
import { releaseIdProblem } from '../../core/release';
import { ConfigurationError } from '../../core/errors';
import { FleetRun } from '../../fleet/executor';
import { SSH_OPTIONS, connectorFrom, intOption, interruptSignal, loadFleet, onFailureOption, printReport, str, withUser } from '../../fleet/cli';
import { batchesOf } from '../../core/plan';

const OPTS = [...SSH_OPTIONS, 'to', 'on-failure'] as const;

export const rollbackCommand: Command = {
  name: 'rollback',
  summary: 'switch every host back to the previous release, or to --to RELEASE (refused unless every host keeps it)',
  options: OPTS,
  usage: 'delivery rollback --env ENV [--to RELEASE] [--file Deliveryfile] [--known-hosts PATH] [--ssh-key PATH] [--json]',
  async run(ctx) {
    const { values } = readCliOptions(OPTS, ctx.argv, ctx.env);
    const to = str(values, 'to') ?? '';
    if (to) {
      const problem = releaseIdProblem(to);
      if (problem) throw new ConfigurationError(`--to: ${problem}`);
    }
    const timeoutSeconds = intOption(values, 'timeout', 1, 86_400);
    const concurrency = intOption(values, 'concurrency', 1, 1000);
    const onFailure = onFailureOption(values);
    const { df, env, hosts } = await loadFleet(ctx, values);
    const connector = connectorFrom(ctx, values, df);
    const stop = interruptSignal();
    try {
      const batches = batchesOf(withUser(hosts, values), df.mode, df.batch, df.canary);
      const run = new FleetRun({ connector, logger: ctx.logger, timeoutSeconds, signal: stop.signal });
      const report = await run.switch(
        'rollback',
        {
          application: df.data.application,
          environment: env,
          release: to,
          hosts: batches.flatMap((b, i) => b.map((host) => ({ host, batch: i, command: [] }))),
          concurrency: concurrency ?? df.concurrency,
          onFailure: onFailure ?? df.onFailure,
          router: df.router,
        },
        { requireRelease: true },
      );
      return printReport(ctx, values, report);
    } finally {
      stop.dispose();
      connector.close();
    }
  },
};
