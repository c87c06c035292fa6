/** actions/rollback (for workflow_dispatch): runRollback with the inputs; outputs, annotations, summary. */
import { runRollback } from '../../cli/commands/rollback';
import { reportFleet } from '../report';
import { runAction } from '../run';

export function run(): Promise<void> {
  return runAction('rollback', async ({ inputs, ctx, logger }) => {
    const report = await runRollback(ctx, inputs);
    await reportFleet(report, logger, [
      ['environment', report.environment ?? String(inputs.env ?? '')],
      ['to', String(inputs.to ?? 'the previous release')],
    ]);
    return report.exitCode;
  });
}
