import { buildAndPush, type BuildPushResult } from '../../adapters/docker';
import { gitContextFromEnv, type BuildPushInputs } from '../../core/build';
import { ConfigurationError } from '../../core/errors';
import type { Logger } from '../../core/logger';
import { readCliOptions, type OptionValues } from '../args';
import type { Command } from '../command';

const OPTS = ['image', 'context', 'dockerfile', 'build-args', 'tags', 'push', 'latest', 'registry', 'registry-username', 'registry-password', 'json'] as const;

function lines(v: string | boolean | undefined): string[] {
  return typeof v === 'string' ? v.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#')) : [];
}
function str(v: string | boolean | undefined): string | null {
  return typeof v === 'string' && v.trim() ? v.trim() : null;
}

/** Option values (from flags, DELIVERY_* or action inputs) → build-push inputs. */
export function buildPushInputsFrom(values: OptionValues): BuildPushInputs {
  const image = str(values.image);
  if (!image) throw new ConfigurationError('image: required (--image, DELIVERY_IMAGE or the image input), e.g. 127.0.0.1:5000/group/app');
  return {
    image,
    context: str(values.context) ?? '.',
    file: str(values.dockerfile),
    buildArgs: lines(values['build-args']),
    tags: lines(values.tags),
    push: values.push === undefined ? true : values.push === true,
    latest: values.latest === true,
    registry: str(values.registry),
    username: str(values['registry-username']),
    password: typeof values['registry-password'] === 'string' && values['registry-password'] ? values['registry-password'] : null,
  };
}

/** The job of build-push, shared by the CLI command and the action. */
export async function runBuildPush(
  values: OptionValues,
  env: NodeJS.ProcessEnv,
  event: Record<string, unknown> | null,
  logger: Logger,
): Promise<BuildPushResult> {
  const pw = values['registry-password'];
  if (typeof pw === 'string' && pw) logger.secret(pw);
  const inputs = buildPushInputsFrom(values);
  return buildAndPush(inputs, gitContextFromEnv(env, event), logger, { env });
}

export const buildPushCommand: Command = {
  name: 'build-push',
  summary: 'build the image (buildx, or docker build), tag it from git, push it, print image@sha256:…',
  options: OPTS,
  usage: 'delivery build-push --image REPO [--context DIR] [--dockerfile PATH] [--build-args LINES] [--tags LINES] [--latest] [--registry-username U] (password in DELIVERY_REGISTRY_PASSWORD) [--json]  (DELIVERY_PUSH=false only builds)',
  async run(ctx) {
    const { values } = readCliOptions(OPTS, ctx.argv, ctx.env);
    const r = await runBuildPush(values, ctx.env, null, ctx.logger);
    if (values.json) ctx.stdout.write(JSON.stringify(r) + '\n');
    else ctx.stdout.write(`${r.ref ?? r.tags[0]}\n`);
    return 0;
  },
};
