/**
 * `delivery setup`: a bare host made a deploy target over an admin SSH login
 * (root, or a user with NOPASSWD sudo), the step Kamal users know as `kamal
 * setup`. Per host: verify its key as every command does, probe what it has,
 * check Docker and Compose v2 (and install them with --install-docker where
 * the package manager can), upload and run install.sh (deploy user, the
 * restrict,command= key, rollout, the router, Docker's log defaults), check
 * that rollout answers as the deploy user, and print the host key lines to
 * pin. Idempotent; --dry-run runs the installer's own dry run and changes
 * nothing. The admin credentials are only used for the connection: nothing
 * of them is written anywhere.
 */
import { readCliOptions, type OptionValues } from '../args';
import { namingOf, type CliContext, type Command, type RunContext } from '../command';
import { ConfigurationError, ExitCode, errorMessage } from '../../core/errors';
import type { HostSpec } from '../../core/types';
import {
  autoInstallable,
  checkPrerequisites,
  dryRunUnchanged,
  hostKeyPins,
  installerCommand,
  keyLines,
  packageCommand,
  parseProbe,
  PROBE_SCRIPT,
  shellQuote,
  validateSetupOptions,
  type HostFacts,
  type SetupOptions,
} from '../../core/setup';
import { hostFilesDir, installerTarball, runRemote, type RemoteShell } from '../../adapters/setup-host';
import { pool } from '../../fleet/pool';
import { connectorFrom, fleetRequest, loadFleet, str } from '../fleet';
import type { HostConnection } from '../../core/protocol';

const OPTS = [
  'deploy-key',
  'admin-user',
  'deploy-user',
  'router',
  'http-port',
  'host-config',
  'install-docker',
  'dry-run',
  'env',
  'file',
  'cluster-token',
  'ssh-key',
  'ssh-passphrase',
  'known-hosts',
  'jump-host',
  'insecure-skip-host-key-check',
  'connect-timeout',
  'concurrency',
  'json',
] as const;

type Outcome = 'set up' | 'unchanged' | 'would change' | 'missing prerequisites' | 'failed';

interface HostOutcome {
  host: string;
  result: Outcome;
  docker: string;
  compose: string;
  /** What the host lacks or what went wrong, with what to do. */
  problems: string[];
  knownHosts: string[];
  cluster: string;
}

/** `[user@]host[:port]`, `[user@][v6]:port` */
export function parseTarget(text: string): HostSpec {
  const m = /^(?:([a-z_][a-z0-9_-]*)@)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::([0-9]{1,5}))?$/.exec(text.trim());
  const port = m?.[3] ? Number(m[3]) : 22;
  if (!m || port < 1 || port > 65535) throw new ConfigurationError(`host ${JSON.stringify(text)}: expected [user@]host[:port]`);
  const host = m[2].replace(/^\[|\]$/g, '');
  return { name: port === 22 ? host : `${host}:${port}`, host, port, user: m[1], hostKeys: [], httpPort: 80, source: 'command line' };
}

function setupOptions(ctx: RunContext, values: OptionValues): SetupOptions {
  const port = str(values, 'http-port')?.trim() ?? '80';
  if (!/^[0-9]{1,5}$/.test(port)) throw new ConfigurationError(`${namingOf(ctx).say('http-port')}: expected a port number, got ${JSON.stringify(port)}`);
  const o: SetupOptions = {
    deployUser: str(values, 'deploy-user') ?? 'deploy',
    deployKeys: keyLines(str(values, 'deploy-key') ?? ''),
    router: (str(values, 'router') ?? 'haproxy') as SetupOptions['router'],
    httpPort: Number(port),
    hostConfig: keyLines(str(values, 'host-config') ?? ''),
    dryRun: values['dry-run'] === true,
    installDocker: values['install-docker'] === true,
  };
  validateSetupOptions(o);
  return o;
}

function shellOf(conn: HostConnection): RemoteShell {
  return { run: (words, o) => conn.run(words, o) };
}

async function probe(shell: RemoteShell): Promise<HostFacts> {
  const r = await runRemote(shell, PROBE_SCRIPT);
  return parseProbe(r.stdout);
}

async function setupHost(ctx: RunContext, conn: HostConnection, h: HostSpec, admin: string, o: SetupOptions, tarball: Buffer): Promise<HostOutcome> {
  const log = (m: string) => ctx.logger.info(`${h.name}: ${m}`);
  const shell = shellOf(conn);
  let facts = await probe(shell);
  const out = (result: Outcome, problems: string[] = []): HostOutcome => {
    if (result === 'failed') for (const p of problems) ctx.logger.error(`${h.name}: ${p}`);
    return outcome(result, problems);
  };
  const outcome = (result: Outcome, problems: string[]): HostOutcome => ({
    host: h.name,
    result,
    docker: facts.docker || '-',
    compose: facts.compose || '-',
    problems,
    ...hostKeyPins(h.host, h.port, facts.hostKeys),
  });
  log(
    `${facts.osId || 'unknown OS'} ${facts.osVersion}${facts.osCodename ? ` (${facts.osCodename})` : ''}, ` +
      `Docker ${facts.docker || 'missing'}, Compose ${facts.compose || 'missing'}, ${facts.systemd ? 'systemd' : 'no systemd'}, ` +
      `as ${admin}${facts.uid === 0 ? ' (root)' : facts.sudo ? ' (sudo)' : ''}`,
  );
  let pre = checkPrerequisites(facts, admin);
  const installable = autoInstallable(pre.install);
  if (!pre.ok && o.installDocker && installable.length && (facts.uid === 0 || facts.sudo)) {
    if (o.dryRun) {
      log(`would install: ${installable.join('; ')}`);
    } else {
      log(`installing: ${installable.join('; ')}`);
      const r = await runRemote(shell, packageCommand(installable, facts), undefined, (l) => log(`  ${l}`));
      if (r.exitCode !== 0) return out('failed', [`the package install failed (exit ${r.exitCode}): ${r.stderr.split('\n').slice(-3).join(' / ')}`, ...pre.problems]);
      facts = await probe(shell);
      pre = checkPrerequisites(facts, admin);
    }
  }
  const blocking = pre.problems.filter((p) => !p.startsWith('no systemd'));
  for (const p of pre.problems.filter((p) => p.startsWith('no systemd'))) ctx.logger.warn(`${h.name}: ${p}`);
  if (!pre.ok) {
    if (!o.installDocker && autoInstallable(pre.install).length) blocking.push('or run delivery setup again with --install-docker to install them with apt-get');
    for (const p of blocking) ctx.logger.error(`${h.name}: ${p}`);
    return out('missing prerequisites', blocking);
  }

  // The installer's dry run says what would change (and nothing, on a host already set up).
  const dry = await runRemote(shell, installerCommand(o, facts, true), tarball);
  if (dry.exitCode !== 0) return out('failed', [`install.sh --dry-run failed (exit ${dry.exitCode}): ${dry.stderr.split('\n').slice(-5).join(' / ')}`]);
  const unchanged = dryRunUnchanged(dry.stderr);
  if (o.dryRun) {
    if (unchanged) log('no change: the host is set up as asked');
    else for (const l of dry.stderr.split('\n').filter((l) => /^==> (would|creating|writing)/.test(l))) log(`  ${l.replace(/^==> /, '')}`);
    return out(unchanged ? 'unchanged' : 'would change');
  }
  if (!unchanged) {
    const r = await runRemote(shell, installerCommand(o, facts, false), tarball, (l) => log(`  ${l}`));
    if (r.exitCode !== 0) return out('failed', [`install.sh failed (exit ${r.exitCode}): ${r.stderr.split('\n').slice(-5).join(' / ')}`]);
    if (/systemctl restart docker/.test(r.stderr) && facts.systemd) {
      // New log defaults in daemon.json apply once dockerd restarts: do it now when nothing runs yet.
      const asRoot = facts.uid === 0 ? '' : 'sudo -n ';
      const restart = await runRemote(shell, `if [ -z "$(${asRoot}docker ps -q)" ]; then ${asRoot}systemctl restart docker && echo restarted; else echo busy; fi`);
      if (restart.stdout.trim() === 'restarted') log('restarted dockerd (no container ran), so its new log defaults apply');
      else log('containers are running: restart dockerd when convenient for its new log defaults (rollout sets them per service anyway)');
    }
  } else {
    log('no change: the host is set up as asked');
  }
  // rollout answers as the deploy user, with Docker access and the router it was given.
  const asDeploy = `${facts.uid === 0 ? '' : 'sudo -n '}runuser -u ${shellQuote(o.deployUser)} -- /usr/local/bin/rollout version`;
  const v = await runRemote(shell, asDeploy);
  const ok = v.exitCode === 0 && v.stdout.includes('"ok":true');
  if (!ok) return out('failed', [`rollout version as ${o.deployUser} failed (exit ${v.exitCode}): ${v.stderr.split('\n').slice(-3).join(' / ')}`]);
  log(`rollout answers as ${o.deployUser}: ${v.stderr.split('\n').find((l) => l.includes('rollout')) ?? 'ok'}`);
  return out(unchanged ? 'unchanged' : 'set up');
}

function table(rows: HostOutcome[]): string {
  const head = ['host', 'result', 'docker', 'compose'];
  const cells = rows.map((r) => [r.host, r.result, r.docker, r.compose]);
  const w = head.map((hd, i) => Math.max(hd.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((x, i) => x.padEnd(w[i])).join('  ').trimEnd();
  return [line(head), ...cells.map(line)].join('\n') + '\n';
}

export interface SetupReport {
  ok: boolean;
  code: number;
  dryRun: boolean;
  deployUser: string;
  hosts: HostOutcome[];
}

/** Sets every named host up (or, with dry-run, says what would change). */
export async function runSetup(ctx: RunContext, values: OptionValues, targets: string[]): Promise<SetupReport> {
  const o = setupOptions(ctx, values);
  const admin = str(values, 'admin-user')?.trim() ?? 'root';
  let hosts: HostSpec[];
  const env = str(values, 'env');
  if (targets.length && env) throw new ConfigurationError('give hosts or --env, not both');
  if (!targets.length && !env) {
    throw new ConfigurationError('name the hosts to set up (root@203.0.113.10 …) or give --env ENV for the hosts of a Deliveryfile environment');
  }
  // The admin logs in; the cluster's user (the deploy user) is not used here.
  const req = fleetRequest(ctx, { ...values, 'ssh-user': admin }, { defaultEnv: env ?? 'setup' });
  if (targets.length) hosts = targets.map(parseTarget);
  else hosts = (await loadFleet(ctx, req)).hosts.map((h) => ({ ...h, user: undefined }));
  const tarball = await installerTarball(hostFilesDir(ctx.env.DELIVERY_HOST_FILES || undefined));
  // The admin key is used for the connection only; it is never written anywhere.
  const connector = connectorFrom(ctx, values, req, { user: admin });
  // Hosts are set up side by side (at most --concurrency, default 10); each line says its host.
  const slots: (HostOutcome | undefined)[] = hosts.map(() => undefined);
  try {
    await pool(hosts.map((h, i) => ({ h, i })), req.concurrency ?? 10, async ({ h, i }) => {
      const user = h.user ?? admin;
      let conn: HostConnection | null = null;
      try {
        conn = await connector.connect({ ...h, user });
        slots[i] = await setupHost(ctx, conn, h, user, o, tarball);
      } catch (err) {
        ctx.logger.error(`${h.name}: ${errorMessage(err)}`);
        slots[i] = { host: h.name, result: 'failed', docker: '-', compose: '-', problems: [errorMessage(err)], knownHosts: [], cluster: '' };
      } finally {
        conn?.close();
      }
    });
  } finally {
    connector.close();
  }
  const rows = slots.filter((r): r is HostOutcome => r !== undefined);
  const failed = rows.filter((r) => r.result === 'failed' || r.result === 'missing prerequisites');
  if (failed.length) ctx.logger.error(`setup: ${failed.map((r) => `${r.host} ${r.result}`).join(', ')}`);
  const code = !failed.length ? ExitCode.Ok : failed.some((r) => r.result === 'failed') ? ExitCode.Failed : ExitCode.Refused;
  return { ok: code === ExitCode.Ok, code, dryRun: o.dryRun, deployUser: o.deployUser, hosts: rows };
}

function printSetup(ctx: CliContext, json: boolean, r: SetupReport): number {
  if (json) {
    ctx.stdout.write(JSON.stringify(r) + '\n');
    return r.code;
  }
  ctx.stdout.write(table(r.hosts));
  const pins = r.hosts.filter((h) => h.knownHosts.length);
  if (pins.length) {
    ctx.stdout.write('\n# known_hosts lines (the known-hosts input / DELIVERY_KNOWN_HOSTS):\n');
    for (const h of pins) ctx.stdout.write(h.knownHosts.join('\n') + '\n');
    ctx.stdout.write('\n# or pin them in the cluster file:\nhosts:\n');
    for (const h of pins) ctx.stdout.write(`${h.cluster}\n    user: ${r.deployUser}\n`);
  }
  return r.code;
}

export const setupCommand: Command = {
  name: 'setup',
  summary: 'make bare hosts deploy targets over an admin SSH login: Docker check, install.sh, the deploy key, host key pins',
  options: OPTS,
  usage:
    'delivery setup [root@]HOST[:PORT]… --deploy-key deploy.pub [--admin-user root] [--router haproxy|traefik] [--http-port 80] [--host-config "KEY=VALUE…"] [--install-docker] [--dry-run] [--known-hosts PATH] [--ssh-key ADMIN_KEY]\n' +
    '       delivery setup --env ENV [--file Deliveryfile] --deploy-key deploy.pub …   (the hosts of an environment)',
  async run(ctx) {
    const { values, positionals } = readCliOptions(OPTS, ctx.argv, ctx.env);
    return printSetup(ctx, values.json === true, await runSetup(ctx, values, positionals));
  },
};
