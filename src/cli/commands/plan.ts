import { loadPlan } from '../../adapters/load-plan';
import { commandLine, rollbackWords } from '../../core/commands';
import { ConfigurationError, ExitCode } from '../../core/errors';
import { planRemove } from '../../core/plan';
import type { FleetPlan, HostStep, Plan, RemovePlan, RollbackPlan } from '../../core/types';
import { readCliOptions, type OptionValues } from '../args';
import type { Command, RunContext } from '../command';
import { fleetRequest, loadFleet, planOptionsOf, withUser } from '../fleet';
import { rollbackPlanOf } from './rollback';

/**
 * `delivery plan [deploy|rollback|remove] --env ENV [--file PATH] [--release ID | --to ID] [--json]`:
 * a dry run that contacts nothing but cluster URLs. It resolves the hosts,
 * builds the bundle in memory (deploy) and prints, per host, the address,
 * user, batch and the exact remote command, the preflight commands and what
 * a switched host runs to go back, plus the bundle's size and sha256.
 * Exit codes: 0 ok, 2 bad input (Deliveryfile, cluster, compose, flags), 1 internal error.
 */

/** What every host runs besides its step: preflight, and the way back of a switched host (on failure or interrupt). */
function around(p: FleetPlan) {
  return {
    preflight: p.preflight.map(commandLine),
    undo: p.verb === 'remove' ? null : commandLine(rollbackWords(p.application, '<its release before>', { deadline: p.deadline })),
  };
}

/** What every plan's JSON starts with. */
function head(p: FleetPlan) {
  return {
    verb: p.verb,
    application: p.application,
    environment: p.environment,
    release: p.release,
    mode: p.mode,
    concurrency: p.concurrency,
    on_failure: p.onFailure,
    router: p.router,
  };
}

/** One host of a plan's JSON; `extra` goes before its command. */
function hostJson(s: HostStep, user: string, extra: Record<string, unknown> = {}) {
  return { name: s.host.name, host: s.host.host, port: s.host.port, user: s.host.user ?? user, batch: s.batch, ...extra, command: commandLine(s.command), argv: s.command };
}

/** A rollback or remove plan as JSON (no bundle). */
export function fleetPlanJson(p: RollbackPlan | RemovePlan, user: string) {
  return {
    ...head(p),
    batches: p.batches.length,
    ...around(p),
    hosts: p.steps.map((s) => hostJson(s, user)),
    warnings: p.warnings,
  };
}

/** The plan as JSON (what `--json` prints); the bundle bytes are left out. */
export function planJson(p: Plan) {
  return {
    ...head(p),
    ssh: { user: p.ssh.user, jump_host: p.ssh.jumpHost },
    batches: p.batches.length,
    ...around(p),
    hosts: p.steps.map((s) =>
      hostJson(s, p.ssh.user, { http_port: s.host.httpPort, host_keys: s.host.hostKeys.length, source: s.host.source }),
    ),
    bundle: {
      size: p.bundle.bytes.length,
      sha256: p.bundle.sha256,
      files: [...p.bundle.manifest.compose_files, ...p.bundle.manifest.env_files, ...(p.bundle.manifest.files ?? [])],
      manifest: p.bundle.manifest,
    },
    warnings: p.warnings,
  };
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n');
}

export function planText(p: Plan): string {
  const m = p.bundle.manifest;
  const mode =
    p.mode === 'parallel' ? `parallel, ${p.concurrency} at once` : p.mode === 'rolling' ? `rolling, ${p.batches.length} batch${p.batches.length === 1 ? "" : "es"}` : `canary: ${p.batches[0].length} host(s) first`;
  const lines = [
    `plan: ${p.application} → ${p.environment}, release ${p.release}`,
    `  mode: ${mode}; on failure: ${p.onFailure}; router: ${p.router ?? '(the host decides)'}`,
    `  bundle: ${p.bundle.bytes.length} bytes, sha256 ${p.bundle.sha256}`,
    `  files: ${[...m.compose_files, ...m.env_files, ...(m.files ?? [])].join(', ')}${m.secrets.length ? `; secrets: ${m.secrets.join(', ')}` : ''}`,
    `  services: ${m.services.join(', ')}; images pinned: ${Object.keys(m.images).length ? Object.entries(m.images).map(([s, r]) => `${s}=${r}`).join(', ') : 'none'}`,
    m.route ? `  route: ${m.route.host ?? ''}${m.route.path ?? ''} → ${m.route.service}:${m.route.port}${m.route.strip_prefix ? ' (prefix stripped)' : ''}` : '  route: none (the compose labels route the app)',
  ];
  return [...lines, ...stepsText(p, p.ssh.user, p.ssh.jumpHost)].join('\n') + '\n';
}

/** Preflight, the way back, and the table of hosts with their exact words. */
function stepsText(p: FleetPlan, user: string, jumpHost: string | null): string[] {
  const a = around(p);
  const lines = [];
  if (p.steps.some((s) => s.command.includes('--confirm'))) {
    lines.push(`  preflight on every host: the rollback's own first answer (--confirm: the host holds the lock, answers, and switches on "go RELEASE"); a rollout without --confirm: ${a.preflight.join('; ')}`);
  } else if (a.preflight.length) lines.push(`  preflight on every host: ${a.preflight.join('; ')}`);
  if (a.undo) lines.push(`  a switched host goes back (on failure or interrupt) with: ${a.undo}`);
  lines.push('');
  const rows = [['BATCH', 'HOST', 'ADDRESS', 'USER', 'COMMAND']];
  for (const s of p.steps) {
    const h = s.host.host.includes(':') ? `[${s.host.host}]` : s.host.host;
    rows.push([String(s.batch), s.host.name, `${h}:${s.host.port}`, s.host.user ?? user, commandLine(s.command)]);
  }
  lines.push(table(rows));
  if (jumpHost) lines.push(`(through jump host ${jumpHost})`);
  return lines;
}

/** `delivery plan rollback|remove` as text. */
export function fleetPlanText(p: RollbackPlan | RemovePlan, user: string, jumpHost: string | null): string {
  const mode = p.mode === 'parallel' ? `parallel, ${p.concurrency} at once` : `${p.mode}, ${p.batches.length} batch${p.batches.length === 1 ? '' : 'es'}`;
  const target = p.verb === 'remove' ? '' : p.release ? `, to ${p.release}` : ', to the previous release (preflight checks every host has the same)';
  return [`plan: ${p.verb} ${p.application} on ${p.environment}${target}`, `  mode: ${mode}; on failure: ${p.onFailure}`, ...stepsText(p, user, jumpHost)].join('\n') + '\n';
}

/** The plan of a deploy, from the same request mapping deploy uses. */
export async function runPlan(ctx: RunContext, values: OptionValues): Promise<Plan> {
  const req = fleetRequest(ctx, values, { what: 'the environment of the Deliveryfile to plan (qa, prod, …)' });
  return loadPlan(planOptionsOf(ctx, req));
}

/** The plan of a rollback or remove, from the same request mapping those commands use; `user`/`jumpHost` as the connector takes them. */
export async function runFleetPlan(ctx: RunContext, values: OptionValues, verb: 'rollback' | 'remove'): Promise<{ plan: RollbackPlan | RemovePlan; user: string; jumpHost: string | null }> {
  const req = fleetRequest(ctx, values, { what: `the environment of the Deliveryfile to plan a ${verb} for (qa, prod, …)` });
  const fleet = await loadFleet(ctx, req);
  const { df } = fleet;
  const plan =
    verb === 'rollback'
      ? rollbackPlanOf(fleet, req)
      : planRemove({ application: df.data.application, environment: fleet.env, hosts: withUser(fleet.hosts, req), mode: 'parallel', batch: 1, canary: 1, concurrency: req.concurrency ?? df.concurrency, onFailure: df.onFailure, router: df.router, deadline: req.timeoutSeconds });
  return { plan, user: req.sshUser ?? df.data.ssh.user, jumpHost: req.jumpHost ?? df.data.ssh.jump_host ?? null };
}

export const planCommand: Command = {
  name: 'plan',
  summary: 'show what a deploy (or rollback, remove) would do: hosts, batches, the exact rollout commands, the bundle (contacts only cluster URLs)',
  usage: 'delivery plan [deploy|rollback|remove] --env ENV [--file PATH] [--release ID | --to ID] [--json]',
  options: [
    'env',
    'file',
    'release',
    'json',
    'cluster-token',
    'images',
    'secrets',
    'registry-username',
    'registry-password',
    'ssh-user',
    'jump-host',
    'concurrency',
    'on-failure',
    'timeout',
    'to',
  ],
  async run(ctx) {
    const { values, positionals } = readCliOptions(this.options, ctx.argv, ctx.env);
    const [verb = 'deploy', extra] = positionals;
    if (extra !== undefined || !['deploy', 'rollback', 'remove'].includes(verb)) {
      throw new ConfigurationError(`plan takes one verb (deploy, rollback or remove), got ${JSON.stringify(extra ?? verb)}; see delivery plan --help`);
    }
    if (verb === 'rollback' || verb === 'remove') {
      const { plan, user, jumpHost } = await runFleetPlan(ctx, values, verb);
      ctx.stdout.write(values.json === true ? JSON.stringify({ ok: true, code: ExitCode.Ok, ...fleetPlanJson(plan, user) }, null, 2) + '\n' : fleetPlanText(plan, user, jumpHost));
      return ExitCode.Ok;
    }
    const p = await runPlan(ctx, values);
    ctx.stdout.write(values.json === true ? JSON.stringify({ ok: true, code: ExitCode.Ok, ...planJson(p) }, null, 2) + '\n' : planText(p));
    return ExitCode.Ok;
  },
};
