import type { Logger } from '../core/logger';
import type { OptionName } from '../core/options';

export interface CliContext {
  argv: string[];
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /** Where results go (tables, JSON). Progress goes to the logger (stderr). */
  stdout: NodeJS.WritableStream;
}

export interface Command {
  name: string;
  summary: string;
  /** Options this command reads (see src/core/options.ts). */
  options: readonly OptionName[];
  usage: string;
  /** Returns the exit code. Throw a ConfigurationError for bad input. */
  run(ctx: CliContext): Promise<number>;
}
