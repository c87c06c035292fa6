/**
 * The one mapping from option values (CLI flags, DELIVERY_* variables or
 * action inputs) to a fleet request, and what the fleet commands (deploy,
 * rollback, status, releases, remove, preview, plan) share: the Deliveryfile
 * and hosts of an environment, the SSH connector, signal handling, printing
 * the report. Every limit is checked here, once, so `plan` and `deploy`
 * accept and refuse the same values.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { utils } from 'ssh2';
import { loadFleetSource } from '../adapters/deliveryfile-source';
import type { LoadPlanOptions } from '../adapters/load-plan';
import { resolveHosts } from '../adapters/cluster-source';
import type { Deliveryfile } from '../core/deliveryfile';
import { environmentOf } from '../core/deliveryfile-peek';
import { ConfigurationError } from '../core/errors';
import type { OptionName } from '../core/options';
import { releaseIdProblem } from '../core/release';
import { ON_FAILURE, type HostSpec, type OnFailure, type SshSettings } from '../core/types';
import type { FleetReport } from '../fleet/executor';
import { interruptSignals, type Interrupt } from '../fleet/interrupt';
import { Preconnector } from '../fleet/preconnect';
import { formatReport } from '../fleet/report';
import { SshConnector, parseJumpHost } from '../ssh/connection';
import { parseKnownHosts } from '../ssh/known-hosts';
import type { OptionValues } from './args';
import { CLI_NAMING, INPUT_NAMING, namingOf, type CliContext, type RunContext } from './command';

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

/** The limits of the numeric options, the same for every command. */
export const LIMITS = {
  timeout: { min: 1, max: 86_400, default: 600 },
  'connect-timeout': { min: 1, max: 3600 },
  concurrency: { min: 1, max: 1000 },
} as const;

export function str(values: OptionValues, name: OptionName): string | undefined {
  const v = values[name];
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
}

function intOf(ctx: RunContext, values: OptionValues, name: keyof typeof LIMITS): number | undefined {
  const v = str(values, name);
  if (v === undefined) return undefined;
  const { min, max } = LIMITS[name];
  if (!/^[0-9]+$/.test(v.trim()) || Number(v) < min || Number(v) > max) {
    throw new ConfigurationError(`${namingOf(ctx).say(name)}: expected a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`);
  }
  return Number(v);
}

function onFailureOf(ctx: RunContext, values: OptionValues): OnFailure | undefined {
  const v = str(values, 'on-failure');
  if (v === undefined) return undefined;
  if (!(ON_FAILURE as readonly string[]).includes(v)) {
    throw new ConfigurationError(`${namingOf(ctx).say('on-failure')}: expected ${ON_FAILURE.slice(0, -1).join(', ')} or ${ON_FAILURE.at(-1)}, got ${JSON.stringify(v)}`);
  }
  return v as OnFailure;
}

function releaseOf(ctx: RunContext, values: OptionValues, name: 'release' | 'to'): string | undefined {
  const v = str(values, name)?.trim();
  if (v === undefined) return undefined;
  const problem = releaseIdProblem(v);
  if (problem) throw new ConfigurationError(`${namingOf(ctx).say(name)}: ${problem}`);
  return v;
}

/** A fleet command's options, checked and typed. */
export interface FleetRequest {
  /** Path of the Deliveryfile (resolved against the context's cwd when it has one). */
  file: string;
  env: string;
  timeoutSeconds: number;
  connectTimeoutSeconds?: number;
  concurrency?: number;
  onFailure?: OnFailure;
  sshUser?: string;
  jumpHost?: string;
  clusterToken?: string;
  release?: string;
  to?: string;
  images?: string;
  secrets?: string;
  registryUsername?: string;
  registryPassword?: string;
  dryRun: boolean;
  json: boolean;
}

/**
 * Option values → a fleet request. `env` is required unless a default is
 * given (preview: the Deliveryfile's preview environment). Secrets are
 * handed to the logger before anything else.
 */
export function fleetRequest(ctx: RunContext, values: OptionValues, o: { defaultEnv?: string; what?: string } = {}): FleetRequest {
  for (const n of ['ssh-key', 'ssh-passphrase', 'cluster-token', 'registry-password', 'secrets', 'token'] as const) {
    const v = str(values, n);
    if (v) ctx.logger.secret(v);
  }
  const env = str(values, 'env')?.trim() ?? o.defaultEnv;
  if (!env) throw new ConfigurationError(namingOf(ctx).required('env', o.what ?? 'the environment of the Deliveryfile to act on (qa, prod, …)'));
  const rawFile = str(values, 'file')?.trim() ?? 'Deliveryfile';
  const file = ctx.cwd ? path.resolve(ctx.cwd, rawFile) : rawFile;
  if (namingOf(ctx) !== CLI_NAMING && !existsSync(file)) {
    // The adapter's message names the CLI flag; an action names its input and where it looked.
    throw new ConfigurationError(`${rawFile}: no such file in ${ctx.cwd ?? process.cwd()}; give the Deliveryfile's path, relative to the workspace, in ${namingOf(ctx).say('file')}`);
  }
  const jumpHost = str(values, 'jump-host')?.trim();
  if (jumpHost) {
    try {
      parseJumpHost(jumpHost);
    } catch (err) {
      throw new ConfigurationError(`${namingOf(ctx).say('jump-host')}: ${(err as Error).message.replace(/^jump-host: /, '')}`);
    }
  }
  return {
    file,
    env,
    timeoutSeconds: intOf(ctx, values, 'timeout') ?? LIMITS.timeout.default,
    connectTimeoutSeconds: intOf(ctx, values, 'connect-timeout'),
    concurrency: intOf(ctx, values, 'concurrency'),
    onFailure: onFailureOf(ctx, values),
    sshUser: str(values, 'ssh-user')?.trim(),
    jumpHost,
    clusterToken: str(values, 'cluster-token'),
    release: releaseOf(ctx, values, 'release'),
    to: releaseOf(ctx, values, 'to'),
    images: str(values, 'images'),
    secrets: str(values, 'secrets'),
    registryUsername: str(values, 'registry-username'),
    registryPassword: str(values, 'registry-password'),
    dryRun: values['dry-run'] === true,
    json: values.json === true,
  };
}

/** The request as loadPlan options (plan, deploy and preview build their plan from this). */
export function planOptionsOf(ctx: RunContext, req: FleetRequest): LoadPlanOptions {
  return {
    file: req.file,
    env: req.env,
    logger: ctx.logger,
    release: req.release,
    images: req.images,
    secrets: req.secrets,
    registryUsername: req.registryUsername,
    registryPassword: req.registryPassword,
    clusterToken: req.clusterToken,
    concurrency: req.concurrency,
    onFailure: req.onFailure,
    sshUser: req.sshUser,
    jumpHost: req.jumpHost,
    deadline: req.timeoutSeconds,
    dryRun: req.dryRun,
    processEnv: ctx.env,
  };
}

export interface FleetContext {
  df: Deliveryfile;
  env: string;
  hosts: HostSpec[];
}

/**
 * Reads the Deliveryfile (or takes the one already read) and resolves the
 * environment's hosts (no bundle). `onHosts` gets the hosts of cluster files
 * as soon as they are known, before the Deliveryfile is validated
 * (loadFleetSource), with the file's SSH user and jump host.
 */
export async function loadFleet(ctx: RunContext, req: FleetRequest, df?: Deliveryfile, onHosts?: (hosts: HostSpec[], ssh: SshSettings) => void): Promise<FleetContext> {
  const opts = () => ({ baseDir: path.dirname(path.resolve(req.file)), token: req.clusterToken, logger: ctx.logger });
  const loaded = df ? { df, early: null } : await loadFleetSource(req.file, req.env, opts, onHosts);
  environmentOf(loaded.df, req.env);
  const hosts = await (loaded.early ?? resolveHosts(loaded.df, req.env, opts()));
  return { df: loaded.df, env: req.env, hosts };
}

/** The kinds of private key ssh2 reads, and how to check one locally; said on every key error. */
export const KEY_HELP =
  'accepted: an OpenSSH private key (-----BEGIN OPENSSH PRIVATE KEY-----, ssh-keygen\'s default) or a PEM key (-----BEGIN RSA PRIVATE KEY----- / EC / DSA, ssh-keygen -m PEM); ' +
  'not a public key, not PKCS#8 (-----BEGIN PRIVATE KEY-----: `ssh-keygen -p -f FILE` rewrites an RSA or EC one in the OpenSSH format), not PuTTY .ppk. ' +
  'Check it locally with `ssh-keygen -y -f FILE`: it prints the public key (and asks for the passphrase when the key has one)';

/** Checks the key now, so a bad key is one clear error, in the caller's words, before any host is contacted. */
export function checkKey(ctx: RunContext, key: string, passphrase: string | undefined): void {
  const n = namingOf(ctx);
  const parsed = utils.parseKey(key, passphrase);
  const err = parsed instanceof Error ? parsed : null;
  if (err) {
    if (/no passphrase given/i.test(err.message)) {
      throw new ConfigurationError(`${n.say('ssh-key')}: the key is encrypted and needs its passphrase: give it in ${n.say('ssh-passphrase')} (${err.message})`);
    }
    if (/bad passphrase|decrypt/i.test(err.message)) {
      throw new ConfigurationError(`${n.say('ssh-key')}: the passphrase in ${n.say('ssh-passphrase')} does not open the key (${err.message}); ${KEY_HELP}`);
    }
    throw new ConfigurationError(`${n.say('ssh-key')}: cannot use the private key (${err.message}); ${KEY_HELP}`);
  }
  const keys = Array.isArray(parsed) ? parsed : [parsed];
  if (!keys.length || !keys.every((k) => k.isPrivateKey())) {
    throw new ConfigurationError(`${n.say('ssh-key')}: this is a public key; give the private key (the file without .pub); ${KEY_HELP}`);
  }
}

/**
 * The SSH connector from the request and the key options. `ssh` is the
 * Deliveryfile's ssh settings (or the plan's), which the options override.
 */
export function connectorFrom(
  ctx: RunContext,
  values: OptionValues,
  req: FleetRequest,
  ssh: { user?: string | null; jumpHost?: string | null },
): SshConnector {
  const n = namingOf(ctx);
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
  const knownHosts = knownText ? parseKnownHosts(knownText, knownSource) : [];
  const agent = ctx.env.SSH_AUTH_SOCK || undefined;
  if (key) checkKey(ctx, key, passphrase);
  else if (!agent) {
    throw new ConfigurationError(
      n === INPUT_NAMING
        ? n.required('ssh-key', 'the private key the hosts accept for the deploy user, from a secret: ssh-key: ${{ secrets.DEPLOY_SSH_KEY }}')
        : 'no SSH key: give --ssh-key PATH (or the key text in DELIVERY_SSH_KEY), or run an ssh-agent with the key (SSH_AUTH_SOCK)',
    );
  }
  const jump = req.jumpHost ?? ssh.jumpHost ?? undefined;
  const insecure = values['insecure-skip-host-key-check'] === true;
  if (insecure) ctx.logger.warn(`${n.say('insecure-skip-host-key-check')}: host keys are NOT verified on this run; anyone on the path can impersonate a host`);
  return new SshConnector({
    privateKey: key,
    passphrase,
    agent: key ? undefined : agent,
    user: req.sshUser ?? ssh.user ?? 'deploy',
    knownHosts,
    insecureSkipHostKeyCheck: insecure,
    jumpHost: jump ? parseJumpHost(jump) : null,
    connectTimeoutMs: req.connectTimeoutSeconds !== undefined ? req.connectTimeoutSeconds * 1000 : undefined,
    logger: ctx.logger,
  });
}

/**
 * The first hosts' connections, opened by `onHosts` as soon as the plan
 * knows the hosts (before the Deliveryfile's validation, beside the
 * bundle's build: src/fleet/preconnect.ts). `connectorFor(ssh)` hands them
 * over only when they were opened with the SSH user and jump host the
 * validated file gives (else it closes them): null when there are none to
 * use, and anything wrong with the SSH options is reported where the
 * connector is made from the validated file, as it always was.
 */
export function earlyConnections(ctx: RunContext, values: OptionValues, req: FleetRequest) {
  let warm: { connector: Preconnector; ssh: SshSettings } | null = null;
  return {
    onHosts(hosts: HostSpec[], ssh: SshSettings): void {
      try {
        warm = { connector: new Preconnector(connectorFrom(ctx, values, req, ssh)), ssh };
        warm.connector.warm(withUser(hosts, req));
      } catch {
        warm = null;
      }
    },
    connectorFor(ssh: SshSettings): Preconnector | null {
      if (warm && (warm.ssh.user !== ssh.user || warm.ssh.jumpHost !== ssh.jumpHost)) this.close();
      return warm?.connector ?? null;
    },
    /** For a plan that failed, or settings that differ: the warm connections closed. */
    close(): void {
      warm?.connector.close();
      warm = null;
    },
  };
}

/** Hosts named in the cluster override the user; the ssh-user option beats the Deliveryfile for the others. */
export function withUser(hosts: HostSpec[], req: Pick<FleetRequest, 'sshUser'>): HostSpec[] {
  const u = req.sshUser;
  return u ? hosts.map((h) => (h.user ? h : { ...h, user: u })) : hosts;
}

/**
 * SIGINT/SIGTERM: the first aborts `signal` (no new host starts, then the
 * switched hosts go back), the second `hurry` (stop waiting); a third gets
 * the default behaviour. Call `dispose` when the run is over.
 */
export function interruptSignal(): Interrupt {
  // The fleet owns what a signal means (src/fleet/interrupt.ts): first = start nothing new and go back, second = stop waiting.
  return interruptSignals();
}

/** The JSON result of a fleet command: `ok` and `code` first, as every `--json` result has them. */
export function reportJson(report: FleetReport): Record<string, unknown> {
  return { ok: report.exitCode === 0, code: report.exitCode, ...report };
}

/** The table on stdout (or JSON with --json); returns the exit code. */
export function printReport(ctx: CliContext, json: boolean, report: FleetReport): number {
  if (json) ctx.stdout.write(JSON.stringify(reportJson(report)) + '\n');
  else ctx.stdout.write(formatReport(report));
  if (report.exitCode !== 0) ctx.logger.error(`${report.verb}: ${report.summary}`);
  return report.exitCode;
}
