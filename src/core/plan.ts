import { deployWords, preflightWords, removeWords, rollbackWords } from './commands';
import { ConfigurationError } from './errors';
import type { Bundle, DeployMode, FleetPlan, HostSpec, HostStep, OnFailure, Plan, RemovePlan, RollbackPlan, Router, SshSettings } from './types';

/** Per-host overall timeout (seconds) when none is given; sent as `--deadline`. */
export const DEFAULT_DEADLINE = 600;

/**
 * `plan(...)`: data only. Given the resolved hosts and the built bundle it
 * returns the batches and, per host, the exact `rollout …` words; an
 * executor (print for `delivery plan`, SSH for deploys) carries it out.
 *
 * - parallel: one batch of every host; at most `concurrency` at once.
 * - rolling: batches of `batch` hosts (a count, or "N%" of the hosts,
 *   rounded up, at least 1), one batch after the other.
 * - canary: batch 0 holds the first `canary` hosts, batch 1 the rest.
 *
 * `planRollback` and `planRemove` do the same for the other fleet verbs.
 */
export interface PlanInput {
  application: string;
  environment: string;
  release: string;
  mode: DeployMode;
  concurrency: number;
  batch: number | string;
  canary: number;
  onFailure: OnFailure;
  router: Router | null;
  ssh: SshSettings;
  hosts: readonly HostSpec[];
  bundle: Bundle;
  /** Seconds the host may take before it rolls itself back (`--deadline`). */
  deadline?: number;
  /** `rollout deploy --dry-run`: preflight only. */
  dryRun?: boolean;
  warnings?: readonly string[];
}

/** Hosts per rolling batch for `batch` (count or "N%") and `total` hosts. */
export function batchSize(batch: number | string, total: number): number {
  if (typeof batch === 'number') return Math.max(1, Math.floor(batch));
  const m = /^(\d{1,3})%$/.exec(batch);
  if (!m) throw new ConfigurationError(`deployment.batch: expected a count or a percentage such as "25%", got ${JSON.stringify(batch)}`);
  return Math.max(1, Math.ceil((total * Number(m[1])) / 100));
}

export function batchesOf(hosts: readonly HostSpec[], mode: DeployMode, batch: number | string, canary: number): HostSpec[][] {
  if (hosts.length === 0) return [];
  if (mode === 'parallel') return [[...hosts]];
  if (mode === 'canary') {
    const n = Math.min(Math.max(1, canary), hosts.length);
    const rest = hosts.slice(n);
    return rest.length ? [hosts.slice(0, n), rest] : [hosts.slice(0, n)];
  }
  const size = batchSize(batch, hosts.length);
  const out: HostSpec[][] = [];
  for (let i = 0; i < hosts.length; i += size) out.push(hosts.slice(i, i + size));
  return out;
}

/** What every fleet plan starts from: the hosts and how to go through them. */
export interface FleetPlanInput {
  application: string;
  environment: string;
  mode: DeployMode;
  concurrency: number;
  batch: number | string;
  canary: number;
  onFailure: OnFailure;
  router: Router | null;
  hosts: readonly HostSpec[];
  /** Seconds the host may take before it rolls itself back (`--deadline`); default 600. */
  deadline?: number;
}

function base(verb: FleetPlan['verb'], input: FleetPlanInput, command: string[], preflight: string[][]): Omit<FleetPlan, 'release'> {
  if (input.hosts.length === 0) throw new ConfigurationError(`environment ${input.environment}: no hosts to ${verb}`);
  const batches = batchesOf(input.hosts, input.mode, input.batch, input.canary);
  const steps: HostStep[] = [];
  batches.forEach((b, i) => {
    for (const host of b) steps.push({ host, batch: i, command: [...command] });
  });
  return {
    verb,
    application: input.application,
    environment: input.environment,
    mode: input.mode,
    concurrency: Math.max(1, Math.min(input.concurrency, input.hosts.length)),
    onFailure: input.onFailure,
    router: input.router,
    preflight,
    deadline: input.deadline ?? DEFAULT_DEADLINE,
    batches,
    steps,
    warnings: [],
  };
}

export function plan(input: PlanInput): Plan {
  const deadline = input.deadline ?? DEFAULT_DEADLINE;
  const command = deployWords(input.application, input.release, { deadline, dryRun: input.dryRun });
  return {
    ...base('deploy', { ...input, deadline }, command, [preflightWords(input.application)]),
    verb: 'deploy',
    release: input.release,
    dryRun: !!input.dryRun,
    ssh: input.ssh,
    bundle: input.bundle,
    warnings: [...(input.warnings ?? [])],
  };
}

/**
 * A rollback to `to`, or (null) to the previous release, which preflight
 * checks is the same on every host. Preflight also lists the releases each
 * host keeps, so a missing target is refused before any host switches.
 * The steps' words carry `--confirm`: each host's rollback answers the
 * preflight itself, holding its lock, and switches when the client says
 * go; `preflight` holds the words for a host whose rollout is older.
 */
export function planRollback(input: FleetPlanInput & { to: string | null }): RollbackPlan {
  const deadline = input.deadline ?? DEFAULT_DEADLINE;
  const command = rollbackWords(input.application, input.to, { deadline, confirm: true });
  return {
    ...base('rollback', { ...input, deadline }, command, [preflightWords(input.application, { releases: true })]),
    verb: 'rollback',
    release: input.to,
  };
}

/** Remove the app from every host (preview teardown); idempotent on the host. */
export function planRemove(input: FleetPlanInput): RemovePlan {
  return { ...base('remove', input, removeWords(input.application), []), verb: 'remove', release: null };
}
