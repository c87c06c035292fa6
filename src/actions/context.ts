/**
 * The actions' context: which options each action takes, reading them
 * through the one option table (src/core/options.ts) with the input names of
 * action.yml, masking every secret before anything is logged, and the
 * RunContext the typed commands (`runDeploy`, …) run with, so an action runs
 * exactly the code `delivery COMMAND` runs, without a detour through argv,
 * DELIVERY_* variables or the CLI's stdout.
 */
import { readFileSync } from 'node:fs';
import { INPUT_NAMING, type RunContext } from '../cli/command';
import { ConfigurationError } from '../core/errors';
import type { Logger } from '../core/logger';
import { OPTIONS, inputOf, type OptionName, type OptionSpec } from '../core/options';
import { coreIndex } from './toolkit';

/** The options each action reads, by option name; action.yml declares exactly their inputs (a test checks). */
export const ACTION_OPTIONS = {
  deploy: [
    'env', 'file', 'ssh-key', 'ssh-passphrase', 'known-hosts', 'ssh-user', 'jump-host', 'images',
    'registry-username', 'registry-password', 'secrets', 'release', 'cluster-token', 'concurrency',
    'on-failure', 'insecure-skip-host-key-check', 'timeout', 'connect-timeout', 'dry-run',
  ],
  'build-push': ['image', 'context', 'dockerfile', 'build-args', 'tags', 'push', 'latest', 'registry', 'registry-username', 'registry-password'],
  rollback: [
    'env', 'file', 'to', 'ssh-key', 'ssh-passphrase', 'known-hosts', 'ssh-user', 'jump-host', 'cluster-token',
    'concurrency', 'insecure-skip-host-key-check', 'timeout', 'connect-timeout',
  ],
  preview: [
    'env', 'file', 'pr-number', 'ssh-key', 'ssh-passphrase', 'known-hosts', 'ssh-user', 'jump-host', 'images',
    'registry-username', 'registry-password', 'secrets', 'cluster-token', 'token', 'cleanup-older-than',
    'insecure-skip-host-key-check', 'timeout', 'connect-timeout',
  ],
} as const satisfies Record<string, readonly OptionName[]>;

export type ActionName = keyof typeof ACTION_OPTIONS;

type ValueOf<N extends OptionName> = (typeof OPTIONS)[N]['type'] extends 'boolean' ? boolean : string;
/** The typed inputs of one action: keys are option names, absent when the input is empty. */
export type Inputs<A extends ActionName> = { [N in (typeof ACTION_OPTIONS)[A][number]]?: ValueOf<N> };

/** The runner's variable for an input: `ssh-key` → `INPUT_SSH-KEY` (as @actions/core reads it). */
export function inputVar(input: string): string {
  return `INPUT_${input.replace(/ /g, '_').toUpperCase()}`;
}

/** YAML 1.2 core booleans, as @actions/core's getBooleanInput accepts them. */
function parseInputBool(v: string, input: string): boolean {
  if (['true', 'True', 'TRUE'].includes(v)) return true;
  if (['false', 'False', 'FALSE'].includes(v)) return false;
  throw new ConfigurationError(`input "${input}": expected true or false, got ${JSON.stringify(v)}`);
}

/** Where inputs come from: the runner's INPUT_* variables, or a getter such as `core.getInput` (which also knows action.yml's defaults under @github/local-action). */
export type InputSource = NodeJS.ProcessEnv | ((input: string) => string);

/**
 * The inputs as @actions/core reads them: `core.getInput` from source (under
 * @github/local-action it knows action.yml's defaults), the runner's INPUT_*
 * variables in the bundle (see ./toolkit).
 */
export function coreInputs(): InputSource {
  const core = coreIndex();
  return core ? (input: string) => core.getInput(input) : process.env;
}

/**
 * Reads an action's inputs. Every secret value is handed to the logger
 * (core.setSecret) here, before anything else runs.
 */
export function readInputs<A extends ActionName>(action: A, source: InputSource, logger: Logger): Inputs<A> {
  const raw0 = typeof source === 'function' ? source : (input: string) => source[inputVar(input)] ?? '';
  // The runner expands action.yml's defaults (`${{ github.token }}`); a local tool such as
  // @github/local-action hands them over as written. Unexpanded, such a value is not given.
  const get = (input: string) => {
    const v = raw0(input) ?? '';
    return /^\s*\$\{\{[^}]*\}\}\s*$/.test(v) ? '' : v;
  };
  const names = ACTION_OPTIONS[action] as readonly OptionName[];
  // Mask first, across all inputs, then parse.
  for (const n of names) {
    const spec: OptionSpec = OPTIONS[n];
    const raw = get(inputOf(spec));
    if (spec.secret && raw) maskSecret(n, raw, logger);
  }
  const out: Record<string, string | boolean> = {};
  for (const n of names) {
    const spec: OptionSpec = OPTIONS[n];
    const raw = (get(inputOf(spec)) ?? '').trim();
    if (raw === '') continue;
    out[n] = spec.type === 'boolean' ? parseInputBool(raw, inputOf(spec)) : raw;
  }
  return out as Inputs<A>;
}

/** Masks a secret and, for dotenv secrets, each value on its own (a value may appear without its key). */
export function maskSecret(name: OptionName, value: string, logger: Logger): void {
  logger.secret(value);
  logger.secret(value.trim());
  if (name === 'secrets') {
    for (const line of value.split(/\r?\n/)) {
      const m = /^\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_.-]*\s*=\s*(.*)$/.exec(line);
      if (!m) continue;
      let v = m[1].trim();
      if (/^(['"]).*\1$/.test(v)) v = v.slice(1, -1);
      if (v) logger.secret(v);
    }
  }
}

/** The workspace relative paths resolve against: GITHUB_WORKSPACE (the checkout), not the action's own folder. */
export function workspaceOf(env: NodeJS.ProcessEnv): string {
  return env.GITHUB_WORKSPACE || process.cwd();
}

/**
 * The RunContext of an action: input names in messages, paths against the
 * workspace, and the process environment without the INPUT_* variables (they
 * must not reach docker or git as inputs of another step).
 */
export function actionContext(env: NodeJS.ProcessEnv, logger: Logger): RunContext {
  const clean: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) if (!k.startsWith('INPUT_')) clean[k] = v;
  return { env: clean, logger, naming: INPUT_NAMING, cwd: workspaceOf(env) };
}

/** The workflow's event payload (GITHUB_EVENT_PATH), or null outside a workflow. */
export function readEvent(env: NodeJS.ProcessEnv): Record<string, unknown> | null {
  const p = env.GITHUB_EVENT_PATH;
  if (!p) return null;
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new ConfigurationError(`GITHUB_EVENT_PATH ${p}: cannot read the event payload (${(err as Error).message})`);
  }
}
