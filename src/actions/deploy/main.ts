/** The deploy action (action.yml at the root): runDeploy with the inputs; outputs, annotations, summary. */
import { runDeploy } from '../../cli/commands/deploy';
import { reportFleet } from '../report';
import { runAction } from '../run';

export function run(): Promise<void> {
  return runAction('deploy', async ({ inputs, ctx, logger }) => {
    const report = await runDeploy(ctx, inputs);
    await reportFleet(report, logger, [['environment', report.environment ?? String(inputs.env ?? '')]]);
    return report.exitCode;
  });
}
