import { ConsoleLogger } from '../adapters/console-logger';
import type { Logger } from '../core/logger';
import { ConfigurationError, DeliveryError, ExitCode, errorMessage } from '../core/errors';
import { OPTIONS, envVarOf, type OptionSpec } from '../core/options';
import type { Command, CliContext } from './command';
import { COMMANDS, type CommandEntry } from './commands';

import pkg from '../../package.json';

/** The one version source: package.json (the actions, the CLI and the Jenkins library are released together). */
export const VERSION: string = pkg.version;

function helpText(commands: { name: string; summary: string }[]): string {
  const width = Math.max(...commands.map((c) => c.name.length), 8);
  return [
    `delivery ${VERSION}: Docker without Kubernetes, blue/green over SSH`,
    '',
    'usage: delivery COMMAND [OPTIONS]',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `delivery COMMAND --help` for its options. Every option can also be',
    'given as an environment variable: --ssh-key ↔ DELIVERY_SSH_KEY.',
    '',
    'exit codes: 0 ok, 1 internal error, 2 bad input or refused, 3 locked,',
    '  4 pull failed, 5 failed and the fleet is back on the previous release,',
    '  7 the fleet could not be brought back to one version',
  ].join('\n');
}

function commandHelp(c: Command): string {
  const lines = [`usage: ${c.usage}`, '', c.summary, ''];
  if (c.options.length) {
    lines.push('options:');
    for (const n of c.options) {
      const o: OptionSpec = OPTIONS[n];
      const arg = o.type === 'boolean' ? '' : o.fileFlag ? ' PATH' : ' VALUE';
      lines.push(`  --${o.flag}${arg}`.padEnd(36) + `${o.description} [${envVarOf(o)}]`);
    }
  }
  return lines.join('\n');
}

/**
 * A secret given as a flag value sits in argv, where every user of the
 * machine can read it (ps, /proc). It still works, with a warning naming the
 * environment variable to use instead (file-valued options take a path, so
 * they are fine).
 */
function warnSecretFlags(command: Command, argv: string[], logger: Logger): void {
  for (const name of command.options) {
    const o: OptionSpec = OPTIONS[name];
    if (!o.secret || o.fileFlag) continue;
    if (argv.some((a) => a === `--${o.flag}` || a.startsWith(`--${o.flag}=`))) {
      logger.warn(`--${o.flag} on the command line is visible to other users in the process list; set ${envVarOf(o)} instead`);
    }
  }
}

/** `--json` on the command line or DELIVERY_JSON set: every exit prints one JSON result. */
function wantsJson(argv: string[], env: NodeJS.ProcessEnv): boolean {
  return argv.includes('--json') || /^(1|true|yes|on)$/i.test(env.DELIVERY_JSON ?? '');
}

/** The JSON result of an exit without a command result: `{"ok":false,"code":2,"error":"…"}` (and where, for a file error). */
export function errorJson(code: number, message: string, err?: unknown): Record<string, unknown> {
  const location = err instanceof ConfigurationError ? err.location : undefined;
  return { ok: false, code, error: message, ...(location ? { file: location.file, line: location.line, col: location.col } : {}) };
}

/** Runs the CLI and returns the exit code; never throws. */
export async function main(
  argv: string[],
  io: Partial<Pick<CliContext, 'env' | 'logger' | 'stdout'>> = {},
  commands: (Command | CommandEntry)[] = COMMANDS,
): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const base = io.logger ?? new ConsoleLogger();
  const env = io.env ?? process.env;
  const json = wantsJson(argv, env);
  // The logger masks what it prints; the JSON on stdout is masked with the same secrets.
  const secrets: string[] = [];
  const logger: Logger = {
    info: (m) => base.info(m),
    warn: (m) => base.warn(m),
    error: (m) => base.error(m),
    debug: (m) => base.debug(m),
    group: (t, fn) => base.group(t, fn),
    secret: (v) => {
      if (v && v.trim().length >= 4) secrets.push(v, v.trim(), ...v.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length >= 4));
      base.secret(v);
    },
  };
  const mask = (m: string) => [...secrets].sort((a, b) => b.length - a.length).reduce((t, v) => t.split(v).join('***'), m);
  const fail = (code: number, message: string, err?: unknown): number => {
    logger.error(message);
    if (json) stdout.write(mask(JSON.stringify(errorJson(code, message, err))) + '\n');
    return code;
  };
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    stdout.write(helpText(commands) + '\n');
    return name ? ExitCode.Ok : ExitCode.Refused;
  }
  if (name === '--version' || name === 'version') {
    const protocol = json ? (await import(/* webpackMode: "eager" */ '../core/events.js')).PROTOCOL_VERSION : null;
    stdout.write(json ? JSON.stringify({ ok: true, code: 0, version: VERSION, protocol }) + '\n' : `delivery ${VERSION}\n`);
    return ExitCode.Ok;
  }
  const entry = commands.find((c) => c.name === name);
  if (!entry) return fail(ExitCode.Refused, `unknown command ${JSON.stringify(name)}; the commands are: ${commands.map((c) => c.name).join(', ')}`);
  let command: Command;
  try {
    command = 'run' in entry ? entry : await entry.load();
  } catch (err) {
    return fail(ExitCode.Internal, `internal error: cannot load the ${name} command: ${err instanceof Error ? (err.stack ?? err.message) : errorMessage(err)}`);
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    stdout.write(commandHelp(command) + '\n');
    return ExitCode.Ok;
  }
  warnSecretFlags(command, rest, logger);
  try {
    return await command.run({ argv: rest, env, logger, stdout });
  } catch (err) {
    if (err instanceof DeliveryError) {
      return fail(err.exitCode, err.message, err);
    }
    return fail(ExitCode.Internal, `internal error: ${err instanceof Error ? (err.stack ?? err.message) : errorMessage(err)}`);
  }
}
