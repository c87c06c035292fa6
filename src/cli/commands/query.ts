import { readCliOptions } from '../args';
import type { Command } from '../command';
import { FleetRun } from '../../fleet/executor';
import { SSH_OPTIONS, connectorFrom, intOption, loadFleet, printReport, withUser } from '../../fleet/cli';

type QueryVerb = Parameters<FleetRun['query']>[0];

/** A command that asks every host one rollout verb and prints one table for the fleet. */
function queryCommand(verb: QueryVerb, summary: string): Command {
  return {
    name: verb,
    summary,
    options: SSH_OPTIONS,
    usage: `delivery ${verb} --env ENV [--file Deliveryfile] [--known-hosts PATH] [--ssh-key PATH] [--json]`,
    async run(ctx) {
      const { values } = readCliOptions(SSH_OPTIONS, ctx.argv, ctx.env);
      const timeoutSeconds = intOption(values, 'timeout', 1, 86_400);
      const concurrency = intOption(values, 'concurrency', 1, 1000);
      const { df, hosts } = await loadFleet(ctx, values);
      const connector = connectorFrom(ctx, values, df);
      try {
        const run = new FleetRun({ connector, logger: ctx.logger, timeoutSeconds });
        const report = await run.query(verb, df.data.application, withUser(hosts, values), concurrency ?? df.concurrency);
        return printReport(ctx, values, report);
      } finally {
        connector.close();
      }
    },
  };
}

export const statusCommand = queryCommand('status', 'current release, color, containers and lock of the app on every host (one table)');
export const releasesCommand = queryCommand('releases', 'the releases kept on every host (one table)');
export const removeCommand = queryCommand('remove', 'stop and remove the app from every host (preview teardown); idempotent');
