import { ConsoleLogger } from '../adapters/console-logger';
import type { Logger } from '../core/logger';
import { DeliveryError, ExitCode, errorMessage } from '../core/errors';
import { OPTIONS, envVarOf, type OptionSpec } from '../core/options';
import type { Command, CliContext } from './command';
import { COMMANDS } from './commands';

export const VERSION = '0.1.0';

function helpText(commands: Command[]): string {
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

/** Runs the CLI and returns the exit code; never throws. */
export async function main(
  argv: string[],
  io: Partial<Pick<CliContext, 'env' | 'logger' | 'stdout'>> = {},
  commands: Command[] = COMMANDS,
): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const logger = io.logger ?? new ConsoleLogger();
  const env = io.env ?? process.env;
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    stdout.write(helpText(commands) + '\n');
    return name ? ExitCode.Ok : ExitCode.Refused;
  }
  if (name === '--version' || name === 'version') {
    stdout.write(`delivery ${VERSION}\n`);
    return ExitCode.Ok;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    logger.error(`unknown command ${JSON.stringify(name)}; the commands are: ${commands.map((c) => c.name).join(', ')}`);
    return ExitCode.Refused;
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
      logger.error(err.message);
      return err.exitCode;
    }
    logger.error(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : errorMessage(err)}`);
    return ExitCode.Internal;
  }
}
