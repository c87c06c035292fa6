/**
 * The actions' context: which options each action takes, reading them from
 * the runner's `INPUT_*` variables through the one option table
 * (src/core/options.ts), masking every secret before anything is logged,
 * and turning them into the `DELIVERY_*` environment the CLI commands read,
 * so an action runs exactly the code `delivery COMMAND` runs.
 */
import { readFileSync } from 'node:fs';
import { ConfigurationError } from '../core/errors';
import type { Logger } from '../core/logger';
import { OPTIONS, envVarOf, inputOf, type OptionName, type OptionSpec } from '../core/options';

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
  throw new ConfigurationError(`input ${input}: expected true or false, got ${JSON.stringify(v)}`);
}

/**
 * Reads an action's inputs. Every secret value is handed to the logger
 * (core.setSecret) here, before anything else runs.
 */
export function readInputs<A extends ActionName>(action: A, env: NodeJS.ProcessEnv, logger: Logger): Inputs<A> {
  const names = ACTION_OPTIONS[action] as readonly OptionName[];
  // Mask first, across all inputs, then parse.
  for (const n of names) {
    const spec: OptionSpec = OPTIONS[n];
    const raw = env[inputVar(inputOf(spec))];
    if (spec.secret && raw) maskSecret(n, raw, logger);
  }
  const out: Record<string, string | boolean> = {};
  for (const n of names) {
    const spec: OptionSpec = OPTIONS[n];
    const raw = (env[inputVar(inputOf(spec))] ?? '').trim();
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

/**
 * The `DELIVERY_*` environment a CLI command reads for these inputs
 * (`ssh-key` → `DELIVERY_SSH_KEY`), on top of `base`. Options whose CLI flag
 * takes a path take the text in the environment, as the inputs do.
 */
export function cliEnv(inputs: Record<string, string | boolean | undefined>, base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  // Inputs the runner passed must not leak into the command as inputs of another step.
  for (const k of Object.keys(env)) if (k.startsWith('INPUT_')) delete env[k];
  for (const [n, v] of Object.entries(inputs)) {
    if (v === undefined) continue;
    const spec: OptionSpec = OPTIONS[n as OptionName];
    env[envVarOf(spec)] = typeof v === 'boolean' ? String(v) : v;
  }
  return env;
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
