/** actions/rollback: `delivery rollback` with the inputs (for workflow_dispatch). */
import * as core from '@actions/core';
import { reportFleetRun, runCliCommand } from './cli';
import { readInputs } from './context';
import { runAction } from './run';

runAction(async (logger) => {
  const inputs = readInputs('rollback', process.env, logger);
  const run = await runCliCommand(['rollback'], inputs, logger);
  await reportFleetRun(`rollback ${inputs.env ?? ''}`.trim(), run, logger, [
    ['environment', String(inputs.env ?? '')],
    ['to', String(inputs.to ?? 'the previous release')],
  ]);
  if (run.code !== 0) core.setFailed(`rollback failed (exit ${run.code}); the log and the job summary say which hosts and why`);
  return run.code;
});
