import { readCliOptions } from '../args';
import type { Command } from '../command';
import { loadDeliveryfile, loadPlan } from '../../adapters/load-plan';
import { FleetRun } from '../../fleet/executor';
import { SSH_OPTIONS, connectorFrom, intOption, interruptSignal, onFailureOption, printReport, str, withUser } from '../../fleet/cli';
import { ConfigurationError } from '../../core/errors';

const OPTS = [...SSH_OPTIONS, 'release', 'images', 'secrets', 'registry-username', 'registry-password', 'on-failure', 'dry-run'] as const;

export const deployCommand: Command = {
  name: 'deploy',
  summary: 'ship the bundle to every host and switch blue/green (preflight first; on failure the switched hosts roll back)',
  options: OPTS,
  usage: 'delivery deploy --env ENV [--file Deliveryfile] [--release ID] [--images LINES] [--known-hosts PATH] [--ssh-key PATH] [--dry-run] [--json]',
  async run(ctx) {
    const { values } = readCliOptions(OPTS, ctx.argv, ctx.env);
    const env = str(values, 'env');
    if (!env) throw new ConfigurationError('--env is required (or DELIVERY_ENV): the environment of the Deliveryfile to deploy');
    const file = str(values, 'file') ?? 'Deliveryfile';
    const timeout = intOption(values, 'timeout', 1, 86_400) ?? 600;
    const plan = await loadPlan({
      file,
      env,
      logger: ctx.logger,
      release: str(values, 'release'),
      images: str(values, 'images'),
      secrets: str(values, 'secrets'),
      registryUsername: str(values, 'registry-username'),
      registryPassword: str(values, 'registry-password'),
      clusterToken: str(values, 'cluster-token'),
      concurrency: intOption(values, 'concurrency', 1, 1000),
      onFailure: onFailureOption(values),
      sshUser: str(values, 'ssh-user'),
      jumpHost: str(values, 'jump-host'),
      deadline: timeout,
      dryRun: values['dry-run'] === true,
      processEnv: ctx.env,
    });
    const df = await loadDeliveryfile(file);
    const connector = connectorFrom(ctx, values, df);
    const stop = interruptSignal();
    try {
      ctx.logger.info(
        `deploying ${plan.application} ${plan.release} to ${plan.steps.length} host(s) of ${plan.environment} (${plan.mode}, ${plan.batches.length} batch(es), on failure: ${plan.onFailure}; bundle ${plan.bundle.bytes.length} bytes, sha256 ${plan.bundle.sha256.slice(0, 12)})`,
      );
      const byName = new Map(withUser(plan.steps.map((s) => s.host), values).map((h) => [h.name, h]));
      const run = new FleetRun({ connector, logger: ctx.logger, timeoutSeconds: timeout, signal: stop.signal });
      const report = await run.switch(
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
        { stdin: plan.bundle.bytes, dryRun: values['dry-run'] === true },
      );
      return printReport(ctx, values, report);
    } finally {
      stop.dispose();
      connector.close();
    }
  },
};
