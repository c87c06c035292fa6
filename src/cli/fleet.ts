/**
 * What the fleet commands (deploy, rollback, status, releases, remove) share:
 * the Deliveryfile and hosts of an environment, the SSH settings from the
 * options, signal handling, and printing the report.
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadDeliveryfile } from '../adapters/load-plan';
import path from 'node:path';
import { resolveHosts } from '../adapters/cluster-source';
import type { CliContext } from '../cli/command';
import type { OptionValues } from '../cli/args';
import { environmentOf, type Deliveryfile } from '../core/deliveryfile';
import { ConfigurationError } from '../core/errors';
import type { OptionName } from '../core/options';
import type { HostSpec, OnFailure } from '../core/types';
import { SshConnector, parseJumpHost } from '../ssh/connection';
import { parseKnownHosts } from '../ssh/known-hosts';
import type { FleetReport } from './executor';
import { formatReport } from './report';

/** Options every fleet command reads. */
export const SSH_OPTIONS = [
  'env',
  'file',
  'ssh-key',
  'ssh-passphrase',
  'known-hosts',
  'ssh-user',
  'jump-host',
  'insecure-skip-host-key-check',
  'timeout',
  'connect-timeout',
  'cluster-token',
  'concurrency',
  'json',
] as const satisfies readonly OptionName[];

export function str(values: OptionValues, name: OptionName): string | undefined {
  const v = values[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export function intOption(values: OptionValues, name: OptionName, min: number, max: number): number | undefined {
  const v = str(values, name);
  if (v === undefined) return undefined;
  if (!/^[0-9]+$/.test(v.trim()) || Number(v) < min || Number(v) > max) {
    throw new ConfigurationError(`--${name}: expected a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`);
  }
  return Number(v);
}

export function onFailureOption(values: OptionValues): OnFailure | undefined {
  const v = str(values, 'on-failure');
  if (v === undefined) return undefined;
  if (v !== 'rollback' && v !== 'stop' && v !== 'continue') {
    throw new ConfigurationError(`--on-failure: expected rollback, stop or continue, got ${JSON.stringify(v)}`);
  }
  return v;
}

export interface FleetContext {
  df: Deliveryfile;
  env: string;
  hosts: HostSpec[];
}

/** Reads the Deliveryfile and resolves the environment's hosts (no bundle). */
export async function loadFleet(ctx: CliContext, values: OptionValues): Promise<FleetContext> {
  const env = str(values, 'env');
  if (!env) throw new ConfigurationError('--env is required (or DELIVERY_ENV): the environment of the Deliveryfile to act on');
  const file = str(values, 'file') ?? 'Deliveryfile';
  const df = await loadDeliveryfile(file);
  environmentOf(df, env);
  const token = str(values, 'cluster-token');
  if (token) ctx.logger.secret(token);
  const hosts = await resolveHosts(df, env, { baseDir: path.dirname(path.resolve(file)), token, logger: ctx.logger });
  return { df, env, hosts };
}

/** The SSH connector from the options (CLI flags or DELIVERY_* variables). */
export function connectorFrom(ctx: CliContext, values: OptionValues, df: Deliveryfile | null): SshConnector {
  const key = str(values, 'ssh-key');
  const passphrase = str(values, 'ssh-passphrase');
  if (key) ctx.logger.secret(key);
  if (passphrase) ctx.logger.secret(passphrase);
  let knownText = str(values, 'known-hosts');
  let knownSource = 'known-hosts';
  if (knownText === undefined) {
    const home = ctx.env.HOME;
    const file = home ? path.join(home, '.ssh', 'known_hosts') : null;
    if (file && existsSync(file)) {
      knownText = readFileSync(file, 'utf8');
      knownSource = file;
    }
  }
  const jump = str(values, 'jump-host') ?? df?.data.ssh.jump_host;
  const jumpHost = jump ? parseJumpHost(jump) : null;
  const insecure = values['insecure-skip-host-key-check'] === true;
  if (insecure) ctx.logger.warn('insecure-skip-host-key-check: host keys are NOT verified on this run; anyone on the path can impersonate a host');
  const connectTimeout = intOption(values, 'connect-timeout', 1, 3600);
  return new SshConnector({
    privateKey: key,
    passphrase,
    agent: key ? undefined : ctx.env.SSH_AUTH_SOCK || undefined,
    user: str(values, 'ssh-user') ?? df?.data.ssh.user ?? 'deploy',
    knownHosts: knownText ? parseKnownHosts(knownText, knownSource) : [],
    insecureSkipHostKeyCheck: insecure,
    jumpHost,
    connectTimeoutMs: connectTimeout !== undefined ? connectTimeout * 1000 : undefined,
    logger: ctx.logger,
  });
}

/** Hosts named in the cluster override the user; --ssh-user beats the Deliveryfile for the others. */
export function withUser(hosts: HostSpec[], values: OptionValues): HostSpec[] {
  const u = str(values, 'ssh-user');
  return u ? hosts.map((h) => (h.user ? h : { ...h, user: u })) : hosts;
}

/**
 * SIGINT/SIGTERM abort the returned signal (no new host starts); a second
 * signal gets the default behaviour. Call `dispose` when the run is over.
 */
export function interruptSignal(): { signal: AbortSignal; dispose(): void } {
  const ac = new AbortController();
  const on = (sig: NodeJS.Signals) => {
    ac.abort(new Error(`interrupted by ${sig}`));
    dispose();
  };
  const dispose = () => {
    process.removeListener('SIGINT', on);
    process.removeListener('SIGTERM', on);
  };
  process.once('SIGINT', on);
  process.once('SIGTERM', on);
  return { signal: ac.signal, dispose };
}

/** The table on stdout (or JSON with --json); returns the exit code. */
export function printReport(ctx: CliContext, values: OptionValues, report: FleetReport): number {
  if (values.json === true) ctx.stdout.write(JSON.stringify(report) + '\n');
  else ctx.stdout.write(formatReport(report));
  if (report.exitCode !== 0) ctx.logger.error(`${report.verb}: ${report.summary}`);
  return report.exitCode;
}
