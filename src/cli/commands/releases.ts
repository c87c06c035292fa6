import { readCliOptions } from '../args';
import type { Command } from '../command';
import { FleetRun } from '../../fleet/executor';
import { SSH_OPTIONS, connectorFrom, intOption, loadFleet, printReport, withUser } from '../../fleet/cli';

const OPTS = SSH_OPTIONS;

export const releasesCommand: Command = {
  name: 'releases',
  summary: 'the releases kept on every host (one table)',
  options: OPTS,
  usage: 'delivery releases --env ENV [--file Deliveryfile] [--known-hosts PATH] [--ssh-key PATH] [--json]',
  async run(ctx) {
    const { values } = readCliOptions(OPTS, ctx.argv, ctx.env);
    const timeoutSeconds = intOption(values, 'timeout', 1, 86_400);
    const concurrency = intOption(values, 'concurrency', 1, 1000);
    const { df, hosts } = await loadFleet(ctx, values);
    const connector = connectorFrom(ctx, values, df);
    try {
      const run = new FleetRun({ connector, logger: ctx.logger, timeoutSeconds });
      const report = await run.query('releases', df.data.application, withUser(hosts, values), concurrency ?? df.concurrency);
      return printReport(ctx, values, report);
    } finally {
      connector.close();
    }
  },
};
