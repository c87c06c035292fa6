import { loadPlan } from '../../adapters/load-plan';
import { ConfigurationError, ExitCode } from '../../core/errors';
import type { Plan } from '../../core/types';
import { readCliOptions, type OptionValues } from '../args';
import type { Command, RunContext } from '../command';
import { fleetRequest, planOptionsOf } from '../fleet';

/**
 * `delivery plan --env ENV [--file PATH] [--release ID] [--json]`: a dry run
 * that contacts nothing but cluster URLs. It resolves the hosts, builds the
 * bundle in memory and prints, per host, the address, user, batch and the
 * exact remote command, plus the bundle's size and sha256.
 * Exit codes: 0 ok, 2 bad input (Deliveryfile, cluster, compose, flags), 1 internal error.
 */

/** The plan as JSON (what `--json` prints); the bundle bytes are left out. */
export function planJson(p: Plan) {
  return {
    application: p.application,
    environment: p.environment,
    release: p.release,
    mode: p.mode,
    concurrency: p.concurrency,
    on_failure: p.onFailure,
    router: p.router,
    ssh: { user: p.ssh.user, jump_host: p.ssh.jumpHost },
    batches: p.batches.length,
    hosts: p.steps.map((s) => ({
      name: s.host.name,
      host: s.host.host,
      port: s.host.port,
      user: s.host.user ?? p.ssh.user,
      batch: s.batch,
      http_port: s.host.httpPort,
      host_keys: s.host.hostKeys.length,
      source: s.host.source,
      command: s.command.join(' '),
      argv: s.command,
    })),
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
    '',
  ];
  const rows = [['BATCH', 'HOST', 'ADDRESS', 'USER', 'COMMAND']];
  for (const s of p.steps) {
    const h = s.host.host.includes(':') ? `[${s.host.host}]` : s.host.host;
    rows.push([String(s.batch), s.host.name, `${h}:${s.host.port}`, s.host.user ?? p.ssh.user, s.command.join(' ')]);
  }
  lines.push(table(rows));
  if (p.ssh.jumpHost) lines.push(`(through jump host ${p.ssh.jumpHost})`);
  return lines.join('\n') + '\n';
}

/** The plan of a deploy, from the same request mapping deploy uses. */
export async function runPlan(ctx: RunContext, values: OptionValues): Promise<Plan> {
  const req = fleetRequest(ctx, values, { what: 'the environment of the Deliveryfile to plan (qa, prod, …)' });
  return loadPlan(planOptionsOf(ctx, req));
}

export const planCommand: Command = {
  name: 'plan',
  summary: 'show what a deploy would do: hosts, batches, the exact rollout command, the bundle (contacts only cluster URLs)',
  usage: 'delivery plan --env ENV [--file PATH] [--release ID] [--json]',
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
  ],
  async run(ctx) {
    const { values, positionals } = readCliOptions(this.options, ctx.argv, ctx.env);
    if (positionals.length) throw new ConfigurationError(`plan takes no arguments, got ${JSON.stringify(positionals[0])}; see delivery plan --help`);
    const p = await runPlan(ctx, values);
    ctx.stdout.write(values.json === true ? JSON.stringify({ ok: true, code: ExitCode.Ok, ...planJson(p) }, null, 2) + '\n' : planText(p));
    return ExitCode.Ok;
  },
};
