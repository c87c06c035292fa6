/**
 * Runs build-push's commands (src/core/build.ts) with the Docker CLI:
 * `docker login --password-stdin` into a private, temporary DOCKER_CONFIG
 * (the runner's own docker login is never touched and nothing stays behind),
 * buildx when present or the plain builder, push, and the digest the registry
 * gave.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile, readFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildPushCommands, digestFromPushOutput, type BuildPushInputs, type GitContext } from '../core/build';
import { ConfigurationError, DeliveryError, ExitCode } from '../core/errors';
import type { Logger } from '../core/logger';

export interface BuildPushResult {
  /** The repository (the `image` input). */
  image: string;
  /** `sha256:…` from the registry; null when not pushed. */
  digest: string | null;
  /** `image@sha256:…`, what deploy pins; null when not pushed. */
  ref: string | null;
  /** Every `image:tag` built. */
  tags: string[];
  buildx: boolean;
}

interface RunResult {
  code: number;
  output: string;
}

/** Runs a command, streams its lines to the logger, and returns its exit code and output. */
function run(argv: string[], logger: Logger, opts: { env: NodeJS.ProcessEnv; stdin?: string; quiet?: boolean }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let partial = '';
    const onData = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      output += text;
      partial += text;
      const lines = partial.split(/\r?\n/);
      partial = lines.pop() ?? '';
      if (!opts.quiet) for (const l of lines) if (l.trim()) logger.info(l);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'ENOENT' ? new ConfigurationError(`${argv[0]}: not found; install the Docker CLI on the runner`) : err);
    });
    child.on('close', (code) => {
      if (partial.trim() && !opts.quiet) logger.info(partial);
      resolve({ code: code ?? 1, output });
    });
    child.stdin.end(opts.stdin ?? '');
  });
}

export async function hasBuildx(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('docker', ['buildx', 'version'], { env, stdio: 'ignore' });
    child.on('error', () => resolve(false));
    child.on('close', (code) => resolve(code === 0));
  });
}

export async function buildAndPush(
  inputs: BuildPushInputs,
  git: GitContext,
  logger: Logger,
  opts: { env?: NodeJS.ProcessEnv; created?: Date } = {},
): Promise<BuildPushResult> {
  if (inputs.password) logger.secret(inputs.password);
  const baseEnv = opts.env ?? process.env;
  // A private Docker config: the login lives only for this run.
  const config = await mkdtemp(path.join(tmpdir(), 'delivery-docker-'));
  await chmod(config, 0o700);
  try {
    // Keep the user's CLI plugins (buildx) and builder instances reachable.
    const userConfig = baseEnv.DOCKER_CONFIG ?? path.join(baseEnv.HOME ?? '/root', '.docker');
    const cfg: Record<string, unknown> = {};
    try {
      const user = JSON.parse(await readFile(path.join(userConfig, 'config.json'), 'utf8')) as Record<string, unknown>;
      if (user.cliPluginsExtraDirs) cfg.cliPluginsExtraDirs = user.cliPluginsExtraDirs;
    } catch {
      /* no user config */
    }
    cfg.cliPluginsExtraDirs = [...((cfg.cliPluginsExtraDirs as string[] | undefined) ?? []), path.join(userConfig, 'cli-plugins')];
    await writeFile(path.join(config, 'config.json'), JSON.stringify(cfg), { mode: 0o600 });
    const env = { ...baseEnv, DOCKER_CONFIG: config };

    const buildx = await hasBuildx(env);
    const cmds = buildPushCommands(inputs, git, { buildx, created: opts.created ?? createdFromEnv(baseEnv) });
    if (!buildx) logger.warn('docker buildx is not installed: building with the plain `docker build`');

    if (cmds.login && inputs.password) {
      await logger.group(`Log in to ${cmds.registry}`, async () => {
        const r = await run(cmds.login!, logger, { env, stdin: inputs.password!, quiet: true });
        if (r.code !== 0) {
          const why = r.output.split('\n').map((l) => l.trim()).filter(Boolean).pop() ?? `exit ${r.code}`;
          throw new DeliveryError(
            `docker login ${cmds.registry} as ${inputs.username} failed: ${why}; check registry-username and registry-password`,
            ExitCode.Refused,
          );
        }
        logger.info(`logged in to ${cmds.registry} as ${inputs.username}`);
      });
    }

    await logger.group(`Build ${cmds.refs.join(', ')}`, async () => {
      logger.info(`$ ${cmds.build.join(' ')}`);
      const r = await run(cmds.build, logger, { env });
      if (r.code !== 0) throw new DeliveryError(`docker build failed (exit ${r.code}); the build output above says why`, ExitCode.Failed);
    });

    let digest: string | null = null;
    if (cmds.push.length) {
      await logger.group(`Push to ${cmds.registry}`, async () => {
        for (const argv of cmds.push) {
          logger.info(`$ ${argv.join(' ')}`);
          const r = await run(argv, logger, { env });
          if (r.code !== 0) {
            const why = /unauthorized|authentication required|denied/i.test(r.output)
              ? `the registry refused the credentials; check registry-username and registry-password`
              : `exit ${r.code}`;
            throw new DeliveryError(`docker push ${argv[2]} failed: ${why}`, ExitCode.Failed);
          }
          const d = digestFromPushOutput(r.output);
          if (!d) throw new DeliveryError(`docker push ${argv[2]}: no digest in its output`, ExitCode.Internal);
          if (digest && d !== digest) throw new DeliveryError(`docker push ${argv[2]}: digest ${d} differs from ${digest}`, ExitCode.Internal);
          digest = d;
        }
      });
    } else {
      logger.info('push: false, the image stays in the local engine');
    }
    return {
      image: inputs.image,
      digest,
      ref: digest ? `${inputs.image}@${digest}` : null,
      tags: cmds.refs,
      buildx,
    };
  } finally {
    await rm(config, { recursive: true, force: true });
  }
}

/** The `created` label: SOURCE_DATE_EPOCH when set (reproducible builds), else now. */
export function createdFromEnv(env: NodeJS.ProcessEnv): Date {
  const e = env.SOURCE_DATE_EPOCH;
  return e && /^[0-9]+$/.test(e) ? new Date(Number(e) * 1000) : new Date();
}
