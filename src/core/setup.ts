/**
 * `delivery setup` as data (no I/O): the probe that asks a bare host what it
 * has, the reading of its answer, the prerequisites it lacks (with the exact
 * command to install each), and the installer command line. The CLI runs
 * these over an admin SSH login (src/adapters/setup-host.ts).
 */
import { ConfigurationError } from './errors';
import { ROUTERS, type Router } from './types';

export type { Router } from './types';

export interface SetupOptions {
  /** The user rollout runs as (install.sh --user). */
  deployUser: string;
  /** Public key lines for the deploy user, installed with the forced command. */
  deployKeys: string[];
  router: Router;
  httpPort: number;
  /** Extra KEY=VALUE lines for /etc/rollout/config (install.sh --set). */
  hostConfig: string[];
  dryRun: boolean;
  /** Install Docker / the Compose plugin with the host's package manager when missing. */
  installDocker: boolean;
}

/** What the probe learnt about a host. */
export interface HostFacts {
  uid: number;
  /** `sudo -n` works (needed when the admin is not root). */
  sudo: boolean;
  osId: string;
  osVersion: string;
  osCodename: string;
  /** apt-get, dnf, yum, zypper, apk or '' */
  packageManager: string;
  /** Docker CLI version, '' when the docker command is missing. */
  docker: string;
  /** The Docker daemon answers (`docker info` as root). */
  dockerRunning: boolean;
  /** `docker compose version --short`, '' when the v2 plugin is missing. */
  compose: string;
  /** The legacy docker-compose (v1) is installed. */
  composeV1: boolean;
  systemd: boolean;
  /** The host's SSH host public keys (`TYPE BASE64`), from /etc/ssh. */
  hostKeys: string[];
}

/**
 * The probe, run by the admin's shell. Prints KEY=VALUE lines only; reads,
 * never writes. `docker info` needs root: it goes through sudo -n when the
 * admin is not root.
 */
export const PROBE_SCRIPT = [
  'as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi; }',
  'echo "uid=$(id -u)"',
  'if [ "$(id -u)" = 0 ] || sudo -n true 2>/dev/null; then echo sudo=1; else echo sudo=0; fi',
  'if [ -r /etc/os-release ]; then . /etc/os-release; echo "os_id=${ID:-}"; echo "os_version=${VERSION_ID:-}"; echo "os_codename=${VERSION_CODENAME:-}"; fi',
  'pm=; for p in apt-get dnf yum zypper apk; do if command -v $p >/dev/null 2>&1; then pm=$p; break; fi; done; echo "pm=$pm"',
  'if command -v docker >/dev/null 2>&1; then echo "docker=$(docker version --format "{{.Client.Version}}" 2>/dev/null || echo unknown)";',
  '  if as_root docker info >/dev/null 2>&1; then echo docker_running=1; else echo docker_running=0; fi;',
  '  echo "compose=$(docker compose version --short 2>/dev/null)"; else echo docker=; echo docker_running=0; echo compose=; fi',
  'if command -v docker-compose >/dev/null 2>&1; then echo compose_v1=1; else echo compose_v1=0; fi',
  'if [ -d /run/systemd/system ]; then echo systemd=1; else echo systemd=0; fi',
  'for f in /etc/ssh/ssh_host_*_key.pub; do [ -r "$f" ] && echo "hostkey=$(cut -d" " -f1,2 "$f")"; done',
  'true',
].join('\n');

export function parseProbe(text: string): HostFacts {
  const kv = new Map<string, string>();
  const hostKeys: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const i = line.indexOf('=');
    if (i <= 0) continue;
    const k = line.slice(0, i);
    const v = line.slice(i + 1);
    if (k === 'hostkey') {
      if (/^[a-z0-9@.-]+ [A-Za-z0-9+/]+={0,2}$/.test(v)) hostKeys.push(v);
    } else kv.set(k, v);
  }
  if (!kv.has('uid')) throw new ConfigurationError('the host did not answer the setup probe (is the login shell a POSIX shell?)');
  const compose = kv.get('compose') ?? '';
  return {
    uid: Number(kv.get('uid')),
    sudo: kv.get('sudo') === '1',
    osId: kv.get('os_id') ?? '',
    osVersion: kv.get('os_version') ?? '',
    osCodename: kv.get('os_codename') ?? '',
    packageManager: kv.get('pm') ?? '',
    docker: kv.get('docker') ?? '',
    dockerRunning: kv.get('docker_running') === '1',
    compose: /^v?2\.|^v?[3-9]\./.test(compose) ? compose.replace(/^v/, '') : '',
    composeV1: kv.get('compose_v1') === '1',
    systemd: kv.get('systemd') === '1',
    hostKeys,
  };
}

/** The package commands that install what is missing, for this host's OS. */
export function dockerInstallCommands(f: HostFacts, missing: { docker: boolean; compose: boolean }): string[] {
  const cmds: string[] = [];
  if (f.packageManager === 'apt-get') {
    // Debian 13+ and Ubuntu 24.04+ ship Compose v2 as docker-compose(-v2);
    // older releases have it only in Docker's own apt repository.
    const ubuntu = f.osId === 'ubuntu';
    const major = Number(f.osVersion.split('.')[0]) || 0;
    const distroCompose = ubuntu ? (major >= 24 ? 'docker-compose-v2' : '') : f.osId === 'debian' && major >= 13 ? 'docker-compose' : '';
    const pkgs = [...(missing.docker ? ['docker.io'] : []), ...(missing.compose && distroCompose ? [distroCompose] : [])];
    if (pkgs.length) cmds.push(`apt-get update && apt-get install -y ${pkgs.join(' ')}`);
    if (missing.compose && !distroCompose) {
      cmds.push(
        `${f.osId || 'this'} ${f.osVersion || ''}`.trim() +
          ' has no Compose v2 package of its own: add Docker\'s apt repository (https://docs.docker.com/engine/install/' +
          (ubuntu ? 'ubuntu' : 'debian') +
          '/) and apt-get install -y docker-compose-plugin, or copy the docker-compose binary of a Compose v2 release to /usr/libexec/docker/cli-plugins/docker-compose (mode 755)',
      );
    }
  } else if (f.packageManager === 'dnf' || f.packageManager === 'yum') {
    cmds.push(
      `${f.packageManager} install -y ${[...(missing.docker ? ['docker-ce'] : []), ...(missing.compose ? ['docker-compose-plugin'] : [])].join(' ')}` +
        ' (from Docker\'s repository: https://docs.docker.com/engine/install/)',
    );
  } else if (f.packageManager === 'apk') {
    cmds.push(`apk add ${[...(missing.docker ? ['docker'] : []), ...(missing.compose ? ['docker-cli-compose'] : [])].join(' ')}`);
  } else if (f.packageManager === 'zypper') {
    cmds.push(`zypper install -y ${[...(missing.docker ? ['docker'] : []), ...(missing.compose ? ['docker-compose'] : [])].join(' ')}`);
  } else {
    cmds.push('install Docker Engine with the Compose v2 plugin: https://docs.docker.com/engine/install/');
  }
  return cmds;
}

/** Commands setup can run itself (only apt-get lines of distribution packages). */
export function autoInstallable(cmds: string[]): string[] {
  return cmds.filter((c) => c.startsWith('apt-get update && apt-get install -y '));
}

export interface Prerequisites {
  ok: boolean;
  /** One message per missing piece, each with what to run. */
  problems: string[];
  /** What to install, as commands for the host. */
  install: string[];
}

export function checkPrerequisites(f: HostFacts, user: string): Prerequisites {
  const problems: string[] = [];
  if (f.uid !== 0 && !f.sudo) {
    problems.push(`${user} is not root and cannot use sudo without a password (sudo -n); log in as root (--admin-user root) or give ${user} NOPASSWD sudo for the setup`);
    return { ok: false, problems, install: [] };
  }
  const missing = { docker: !f.docker, compose: !f.compose };
  const install = missing.docker || missing.compose ? dockerInstallCommands(f, missing) : [];
  const how = install.join('; then ');
  if (missing.docker) problems.push(`Docker is not installed; install it: ${how}`);
  else if (!f.dockerRunning) problems.push('Docker is installed but its daemon does not answer; start it: systemctl enable --now docker');
  if (!missing.docker && missing.compose) {
    problems.push(
      `Docker Compose v2 (the "docker compose" plugin) is missing${f.composeV1 ? ' (docker-compose v1 is installed, but v1 reached its end of life in 2023 and rollout refuses it)' : ''}; install it: ${how}`,
    );
  }
  if (!f.systemd) problems.push('no systemd on this host: install.sh enables HAProxy and Docker as systemd services; start them at boot yourself');
  return { ok: !missing.docker && !missing.compose && f.dockerRunning && (f.uid === 0 || f.sudo), problems, install };
}

/** POSIX shell single quoting. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

const USER = /^[a-z_][a-z0-9_-]{0,31}$/;
const KEY = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,2}( [^\n]*)?$/;
const CONFIG_LINE = /^[A-Z][A-Z0-9_]*=[^\n]*$/;

/** Checks the options; throws a ConfigurationError naming the option. */
export function validateSetupOptions(o: SetupOptions): void {
  if (!USER.test(o.deployUser)) throw new ConfigurationError(`--deploy-user: not a user name: ${JSON.stringify(o.deployUser)}`);
  if (!o.deployKeys.length) {
    throw new ConfigurationError('--deploy-key: give the public key CI deploys with (a .pub file, or its text in DELIVERY_DEPLOY_KEY)');
  }
  o.deployKeys.forEach((k, i) => {
    if (!KEY.test(k)) {
      throw new ConfigurationError(
        `--deploy-key line ${i + 1}: not an SSH public key (expected "ssh-ed25519 AAAA… comment"), got ${JSON.stringify(k.slice(0, 30))}${/PRIVATE KEY/.test(k) ? ': that is a PRIVATE key; give the .pub file' : ''}`,
      );
    }
  });
  if (!(ROUTERS as readonly string[]).includes(o.router)) throw new ConfigurationError(`--router: expected ${ROUTERS.join(' or ')}, got ${JSON.stringify(o.router)}`);
  if (!Number.isInteger(o.httpPort) || o.httpPort < 1 || o.httpPort > 65535) throw new ConfigurationError(`--http-port: expected 1..65535, got ${o.httpPort}`);
  o.hostConfig.forEach((l, i) => {
    if (!CONFIG_LINE.test(l)) throw new ConfigurationError(`--host-config line ${i + 1}: expected KEY=VALUE (e.g. KEEP_RELEASES=5), got ${JSON.stringify(l)}`);
  });
}

/** Public key lines of a key file or text: comments and blank lines dropped. */
export function keyLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

/** install.sh's arguments for these options. */
export function installerArgs(o: SetupOptions, dryRun: boolean): string[] {
  const args = ['--user', o.deployUser, '--router', o.router, '--http-port', String(o.httpPort)];
  for (const k of o.deployKeys) args.push('--key', k);
  for (const l of o.hostConfig) args.push('--set', l);
  if (dryRun) args.push('--dry-run');
  return args;
}

/**
 * The remote command that unpacks the installer (a tar on stdin) into a
 * private temporary folder and runs it as root, then removes the folder.
 */
export function installerCommand(o: SetupOptions, f: HostFacts, dryRun: boolean): string {
  const root = f.uid === 0 ? '' : 'sudo -n ';
  const args = installerArgs(o, dryRun).map(shellQuote).join(' ');
  return [
    'set -e',
    'd=$(mktemp -d /tmp/delivery-setup.XXXXXX)',
    'trap \'rm -rf "$d"\' EXIT',
    'tar -xzf - -C "$d"',
    `${root}bash "$d/install.sh" ${args}`,
  ].join('; ');
}

/** Runs the given apt-get lines as root. */
export function packageCommand(cmds: string[], f: HostFacts): string {
  const root = f.uid === 0 ? '' : 'sudo -n ';
  return cmds.map((c) => `${root}sh -c ${shellQuote(`DEBIAN_FRONTEND=noninteractive ${c}`)}`).join(' && ');
}

/** known_hosts lines and the cluster file entry that pin this host's keys. */
export function hostKeyPins(host: string, port: number, keys: string[]): { knownHosts: string[]; cluster: string } {
  const name = port === 22 ? host : `[${host}]:${port}`;
  const knownHosts = keys.map((k) => `${name} ${k}`);
  const cluster = [`  - host: ${host}`, ...(port === 22 ? [] : [`    port: ${port}`]), '    host_keys:', ...keys.map((k) => `      - ${k}`)].join('\n');
  return { knownHosts, cluster };
}

/** Did install.sh --dry-run report nothing to change? (no "would …" line) */
export function dryRunUnchanged(stderr: string): boolean {
  return !/(^|\n)==> would /.test(stderr);
}
