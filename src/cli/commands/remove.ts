import { readCliOptions } from '../args';
import type { Command } from '../command';
import { FleetRun } from '../../fleet/executor';
import { SSH_OPTIONS, connectorFrom, intOption, loadFleet, printReport, withUser } from '../../fleet/cli';

const OPTS = SSH_OPTIONS;

export const removeCommand: Command = {
  name: 'remove',
  summary: 'stop and remove the app from every host (preview teardown); idempotent',
  options: OPTS,
  usage: 'delivery remove --env ENV [--file Deliveryfile] [--known-hosts PATH] [--ssh-key PATH] [--json]',
  async run(ctx) {
    const { values } = readCliOptions(OPTS, ctx.argv, ctx.env);
    const timeoutSeconds = intOption(values, 'timeout', 1, 86_400);
    const concurrency = intOption(values, 'concurrency', 1, 1000);
    const { df, hosts } = await loadFleet(ctx, values);
    const connector = connectorFrom(ctx, values, df);
    try {
      const run = new FleetRun({ connector, logger: ctx.logger, timeoutSeconds });
      const report = await run.query('remove', df.data.application, withUser(hosts, values), concurrency ?? df.concurrency);
      return printReport(ctx, values, report);
    } finally {
      connector.close();
    }
  },
};
