import { ConfigurationError } from './errors';
import type { Bundle, DeployMode, HostSpec, HostStep, OnFailure, Plan, Router, SshSettings } from './types';

/**
 * `plan(...)`: data only. Given the resolved hosts and the built bundle it
 * returns the batches and, per host, the exact `rollout …` words; an
 * executor (print for `delivery plan`, SSH for deploys) carries it out.
 *
 * - parallel: one batch of every host; at most `concurrency` at once.
 * - rolling: batches of `batch` hosts (a count, or "N%" of the hosts,
 *   rounded up, at least 1), one batch after the other.
 * - canary: batch 0 holds the first `canary` hosts, batch 1 the rest.
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

/** The exact words sent to a host for a deploy. */
export function deployCommand(application: string, release: string, opts: { deadline?: number; dryRun?: boolean } = {}): string[] {
  const words = ['rollout', 'deploy', application, '--release', release];
  if (opts.dryRun) words.push('--dry-run');
  if (opts.deadline !== undefined) words.push('--deadline', String(Math.max(1, Math.ceil(opts.deadline))));
  return words;
}

export function plan(input: PlanInput): Plan {
  if (input.hosts.length === 0) throw new ConfigurationError(`environment ${input.environment}: no hosts to deploy to`);
  const batches = batchesOf(input.hosts, input.mode, input.batch, input.canary);
  const command = deployCommand(input.application, input.release, { deadline: input.deadline, dryRun: input.dryRun });
  const steps: HostStep[] = [];
  batches.forEach((b, i) => {
    for (const host of b) steps.push({ host, batch: i, command: [...command] });
  });
  return {
    application: input.application,
    environment: input.environment,
    release: input.release,
    mode: input.mode,
    concurrency: Math.max(1, Math.min(input.concurrency, input.hosts.length)),
    onFailure: input.onFailure,
    router: input.router,
    ssh: input.ssh,
    batches,
    steps,
    bundle: input.bundle,
    warnings: [...(input.warnings ?? [])],
  };
}
