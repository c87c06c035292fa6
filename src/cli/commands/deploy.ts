import { loadPlan } from '../../adapters/load-plan';
import { FleetRun, type FleetReport } from '../../fleet/executor';
import { readCliOptions, type OptionValues } from '../args';
import type { Command, RunContext } from '../command';
import { SSH_OPTIONS, connectorFrom, earlyConnections, fleetRequest, interruptSignal, planOptionsOf, printReport, withUser } from '../fleet';

const OPTS = [...SSH_OPTIONS, 'release', 'images', 'secrets', 'registry-username', 'registry-password', 'on-failure', 'dry-run'] as const;

/** Deploy: plan (Deliveryfile, hosts, bundle), then the fleet run. The CLI, the deploy action and Jenkins call this. */
export async function runDeploy(ctx: RunContext, values: OptionValues): Promise<FleetReport> {
  const req = fleetRequest(ctx, values, { what: 'the environment of the Deliveryfile to deploy (qa, prod, …)' });
  const early = earlyConnections(ctx, values, req);
  const plan = await loadPlan({ ...planOptionsOf(ctx, req), onHosts: early.onHosts }).catch((e: unknown) => {
    early.close();
    throw e;
  });
  const connector = early.connectorFor(plan.ssh) ?? connectorFrom(ctx, values, req, plan.ssh);
  const stop = interruptSignal();
  try {
    ctx.logger.info(
      `deploying ${plan.application} ${plan.release} to ${plan.steps.length} host(s) of ${plan.environment} (${plan.mode}, ${plan.batches.length} batch(es), on failure: ${plan.onFailure}; bundle ${plan.bundle.bytes.length} bytes, sha256 ${plan.bundle.sha256.slice(0, 12)})`,
    );
    const byName = new Map(withUser(plan.steps.map((s) => s.host), req).map((h) => [h.name, h]));
    const run = new FleetRun({ connector, logger: ctx.logger, timeoutSeconds: req.timeoutSeconds, signal: stop.signal, hurry: stop.hurry });
    return await run.switch(
      'deploy',
      {
        application: plan.application,
        environment: plan.environment,
        release: plan.release,
        hosts: plan.steps.map((s) => ({ host: byName.get(s.host.name) ?? s.host, batch: s.batch, command: s.command })),
        concurrency: plan.concurrency,
        onFailure: plan.onFailure,
        router: plan.router,
      },
      { stdin: plan.bundle.bytes, dryRun: req.dryRun },
    );
  } finally {
    stop.dispose();
    connector.close();
  }
}

export const deployCommand: Command = {
  name: 'deploy',
  summary: 'ship the bundle to every host and switch blue/green (preflight first; on failure the switched hosts roll back)',
  options: OPTS,
  usage: 'delivery deploy --env ENV [--file Deliveryfile] [--release ID] [--images LINES] [--known-hosts PATH] [--ssh-key PATH] [--dry-run] [--json]',
  async run(ctx) {
    const { values } = readCliOptions(OPTS, ctx.argv, ctx.env);
    return printReport(ctx, values.json === true, await runDeploy(ctx, values));
  },
};
