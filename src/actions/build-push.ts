/** actions/build-push: build, tag, push; outputs image, digest, ref (image@sha256:…). */
import * as core from '@actions/core';
import { runBuildPush } from '../cli/commands/build-push';
import { readEvent, readInputs } from './context';
import { runAction, writeSummary } from './run';

runAction(async (logger) => {
  const inputs = readInputs('build-push', process.env, logger);
  const r = await runBuildPush(inputs, process.env, readEvent(process.env), logger);
  core.setOutput('image', r.image);
  core.setOutput('digest', r.digest ?? '');
  core.setOutput('ref', r.ref ?? '');
  core.setOutput('tags', r.tags.join('\n'));
  if (r.ref) logger.info(`pushed ${r.ref}`);
  await writeSummary(logger, `build-push ${r.image}`, [
    ['ref', r.ref ?? '(not pushed)'],
    ['tags', r.tags.join(', ')],
    ['builder', r.buildx ? 'buildx' : 'docker build'],
  ], []);
});
