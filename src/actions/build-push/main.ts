/** actions/build-push: build, tag, push; outputs image, digest, ref (image@sha256:…). */
import { runBuildPush } from '../../cli/commands/build-push';
import { readEvent } from '../context';
import { runAction, writeSummary } from '../run';
import { toolkit } from '../toolkit';

const core = toolkit();

export function run(): Promise<void> {
  return runAction('build-push', async ({ inputs, ctx, logger }) => {
    const r = await runBuildPush(ctx, inputs, readEvent(process.env));
    core.setOutput('image', r.image);
    core.setOutput('digest', r.digest ?? '');
    core.setOutput('ref', r.ref ?? '');
    core.setOutput('tags', r.tags.join('\n'));
    if (r.ref) logger.info(`pushed ${r.ref}`);
    await writeSummary(logger, {
      title: `build-push ${r.image}`,
      facts: [
        ['ref', r.ref ?? '(not pushed)'],
        ['tags', r.tags.join(', ')],
        ['builder', r.buildx ? 'buildx' : 'docker build'],
      ],
      rows: [],
    });
  });
}
