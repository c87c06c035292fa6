import { fileSshOf } from '../../core/deliveryfile-peek';
import { planRollback } from '../../core/plan';
import type { RollbackPlan } from '../../core/types';
import type { FleetReport } from '../../fleet/executor';
import { Preconnector } from '../../fleet/preconnect';
import { readCliOptions, type OptionValues } from '../args';
import type { Command, RunContext } from '../command';
import { SSH_OPTIONS, connectorFrom, earlyConnections, fleetRequest, interruptSignal, loadFleet, printReport, withUser, type FleetContext, type FleetRequest } from '../fleet';

const OPTS = [...SSH_OPTIONS, 'to', 'on-failure'] as const;

/** The rollback's plan (what `delivery plan rollback` prints and `delivery rollback` runs). */
export function rollbackPlanOf({ df, env, hosts }: FleetContext, req: FleetRequest): RollbackPlan {
  return planRollback({
    application: df.data.application,
    environment: env,
    to: req.to ?? null,
    hosts: withUser(hosts, req),
    mode: df.mode,
    batch: df.batch,
    canary: df.canary,
    concurrency: req.concurrency ?? df.concurrency,
    onFailure: req.onFailure ?? df.onFailure,
    router: df.router,
    deadline: req.timeoutSeconds,
  });
}

/** Rollback to the previous release, or to `to` (refused unless every host keeps it). The CLI, the rollback action and Jenkins call this. */
export async function runRollback(ctx: RunContext, values: OptionValues): Promise<FleetReport> {
  const req = fleetRequest(ctx, values, { what: 'the environment of the Deliveryfile to roll back (qa, prod, …)' });
  // The first hosts' SSH handshakes start as soon as the cluster files name
  // them; the executor and the event schemas load while they run.
  const early = earlyConnections(ctx, values, req);
  const { df, env, hosts } = await loadFleet(ctx, req, undefined, early.onHosts).catch((e: unknown) => {
    early.close();
    throw e;
  });
  const plan = rollbackPlanOf({ df, env, hosts }, req);
  const ssh = fileSshOf(df);
  let connector = early.connectorFor(ssh);
  if (!connector) {
    connector = new Preconnector(connectorFrom(ctx, values, req, ssh));
    connector.warm(withUser(hosts, req));
  }
  const stop = interruptSignal();
  try {
    const { FleetRun, switchTarget } = await import(/* webpackMode: "eager" */ '../../fleet/executor.js');
    const run = new FleetRun({ connector, logger: ctx.logger, timeoutSeconds: plan.deadline, signal: stop.signal, hurry: stop.hurry });
    return await run.switch('rollback', switchTarget(plan), { requireRelease: true });
  } finally {
    stop.dispose();
    connector.close();
  }
}

export const rollbackCommand: Command = {
  name: 'rollback',
  summary: 'switch every host back to the previous release, or to --to RELEASE (refused unless every host keeps it)',
  options: OPTS,
  usage: 'delivery rollback --env ENV [--to RELEASE] [--file Deliveryfile] [--known-hosts PATH] [--ssh-key PATH] [--json]',
  async run(ctx) {
    const { values } = readCliOptions(OPTS, ctx.argv, ctx.env);
    return printReport(ctx, values.json === true, await runRollback(ctx, values));
  },
};
