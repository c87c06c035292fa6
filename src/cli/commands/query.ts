import type { FleetRun, FleetReport } from '../../fleet/executor';
import { FleetRun as Run } from '../../fleet/executor';
import { readCliOptions, type OptionValues } from '../args';
import type { Command, RunContext } from '../command';
import { SSH_OPTIONS, connectorFrom, fleetRequest, loadFleet, printReport, withUser } from '../fleet';

export type QueryVerb = Parameters<FleetRun['query']>[0];

/** Asks every host of the environment one rollout verb (status, releases, remove): one report for the fleet. */
export async function runQuery(ctx: RunContext, verb: QueryVerb, values: OptionValues): Promise<FleetReport> {
  const req = fleetRequest(ctx, values);
  const { df, env, hosts } = await loadFleet(ctx, req);
  const connector = connectorFrom(ctx, values, req, { user: df.data.ssh.user, jumpHost: df.data.ssh.jump_host });
  try {
    const run = new Run({ connector, logger: ctx.logger, timeoutSeconds: req.timeoutSeconds });
    const report = await run.query(verb, df.data.application, withUser(hosts, req), req.concurrency ?? df.concurrency, env);
    return { ...report, environment: env };
  } finally {
    connector.close();
  }
}

/** A command that asks every host one rollout verb and prints one table for the fleet. */
function queryCommand(verb: QueryVerb, summary: string): Command {
  return {
    name: verb,
    summary,
    options: SSH_OPTIONS,
    usage: `delivery ${verb} --env ENV [--file Deliveryfile] [--known-hosts PATH] [--ssh-key PATH] [--json]`,
    async run(ctx) {
      const { values } = readCliOptions(SSH_OPTIONS, ctx.argv, ctx.env);
      return printReport(ctx, values.json === true, await runQuery(ctx, verb, values));
    },
  };
}

export const statusCommand = queryCommand('status', 'current release, color, containers and lock of the app on every host (one table)');
export const releasesCommand = queryCommand('releases', 'the releases kept on every host (one table)');
export const removeCommand = queryCommand('remove', 'stop and remove the app from every host (preview teardown); idempotent');
