import { buildAndPush, type BuildPushResult } from '../../adapters/docker';
import { gitContextFromEnv, type BuildPushInputs } from '../../core/build';
import { ConfigurationError } from '../../core/errors';
import path from 'node:path';
import { readCliOptions, type OptionValues } from '../args';
import { CLI_NAMING, namingOf, type Command, type OptionNaming, type RunContext } from '../command';

const OPTS = ['image', 'context', 'dockerfile', 'build-args', 'tags', 'push', 'latest', 'registry', 'registry-username', 'registry-password', 'json'] as const;

function lines(v: string | boolean | undefined): string[] {
  return typeof v === 'string' ? v.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#')) : [];
}
function str(v: string | boolean | undefined): string | null {
  return typeof v === 'string' && v.trim() ? v.trim() : null;
}

/** Option values (from flags, DELIVERY_* or action inputs) → build-push inputs; relative paths resolve against `cwd`. */
export function buildPushInputsFrom(values: OptionValues, naming: OptionNaming = CLI_NAMING, cwd?: string): BuildPushInputs {
  const image = str(values.image);
  if (!image) throw new ConfigurationError(naming.required('image', 'the image repository to build and push, without tag, e.g. 127.0.0.1:5000/group/app'));
  const at = (p: string) => (cwd ? path.resolve(cwd, p) : p);
  const file = str(values.dockerfile);
  return {
    image,
    context: at(str(values.context) ?? '.'),
    file: file ? at(file) : null,
    buildArgs: lines(values['build-args']),
    tags: lines(values.tags),
    push: values.push === undefined ? true : values.push === true,
    latest: values.latest === true,
    registry: str(values.registry),
    username: str(values['registry-username']),
    password: typeof values['registry-password'] === 'string' && values['registry-password'] ? values['registry-password'] : null,
  };
}

/** The job of build-push, shared by the CLI command, the action and Jenkins. */
export async function runBuildPush(ctx: RunContext, values: OptionValues, event: Record<string, unknown> | null = null): Promise<BuildPushResult> {
  const pw = values['registry-password'];
  if (typeof pw === 'string' && pw) ctx.logger.secret(pw);
  const inputs = buildPushInputsFrom(values, namingOf(ctx), ctx.cwd);
  return buildAndPush(inputs, gitContextFromEnv(ctx.env, event), ctx.logger, { env: ctx.env });
}

export const buildPushCommand: Command = {
  name: 'build-push',
  summary: 'build the image (buildx, or docker build), tag it from git, push it, print image@sha256:…',
  options: OPTS,
  usage: 'delivery build-push --image REPO [--context DIR] [--dockerfile PATH] [--build-args LINES] [--tags LINES] [--latest] [--registry-username U] (password in DELIVERY_REGISTRY_PASSWORD) [--json]  (DELIVERY_PUSH=false only builds)',
  async run(ctx) {
    const { values } = readCliOptions(OPTS, ctx.argv, ctx.env);
    const r = await runBuildPush(ctx, values);
    if (values.json) ctx.stdout.write(JSON.stringify({ ok: true, code: 0, ...r }) + '\n');
    else ctx.stdout.write(`${r.ref ?? r.tags[0]}\n`);
    return 0;
  },
};
