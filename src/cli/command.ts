import type { Logger } from '../core/logger';
import { OPTIONS, envVarOf, inputOf, type OptionName, type OptionSpec } from '../core/options';

/**
 * How the caller spells an option in a message: the CLI says `--ssh-key`
 * (and its DELIVERY_* variable), an action says `input "ssh-key"` as in its
 * action.yml.
 */
export interface OptionNaming {
  /** `--ssh-key` / `input "ssh-key"` */
  say(name: OptionName): string;
  /** The message for a missing required option. */
  required(name: OptionName, what: string): string;
}

export const CLI_NAMING: OptionNaming = {
  say: (n) => `--${(OPTIONS[n] as OptionSpec).flag}`,
  required: (n, what) => `--${(OPTIONS[n] as OptionSpec).flag} is required (or ${envVarOf(OPTIONS[n])}): ${what}`,
};

export const INPUT_NAMING: OptionNaming = {
  say: (n) => `input "${inputOf(OPTIONS[n])}"`,
  required: (n, what) => `input "${inputOf(OPTIONS[n])}" is required: ${what}`,
};

/** What every typed command (`runDeploy`, `runRollback`, …) runs with: the CLI, the actions and Jenkins build one. */
export interface RunContext {
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /** Default CLI_NAMING. */
  naming?: OptionNaming;
  /** Folder a relative Deliveryfile or build context resolves against (actions: GITHUB_WORKSPACE); default the working directory. */
  cwd?: string;
}

export const namingOf = (ctx: RunContext): OptionNaming => ctx.naming ?? CLI_NAMING;

export interface CliContext extends RunContext {
  argv: string[];
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
