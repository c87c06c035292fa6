/** The deploy action (action.yml at the root): `delivery deploy` with the inputs. */
import * as core from '@actions/core';
import { reportFleetRun, runCliCommand } from './cli';
import { readInputs } from './context';
import { runAction } from './run';

runAction(async (logger) => {
  const inputs = readInputs('deploy', process.env, logger);
  const run = await runCliCommand(['deploy'], inputs, logger);
  await reportFleetRun(`deploy ${inputs.env ?? ''}`.trim(), run, logger, [['environment', String(inputs.env ?? '')]]);
  if (run.code !== 0) core.setFailed(`deploy failed (exit ${run.code}); the log and the job summary say which hosts and why`);
  return run.code;
});
