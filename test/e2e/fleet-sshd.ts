/**
 * A real OpenSSH sshd for the fleet's SSH tests, started by the test itself:
 * its own host keys, one authorized client key with a forced command, and a
 * debug log that shows whether a client ever reached authentication.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export interface Sshd {
  address: string;
  port: number;
  dir: string;
  /** `ssh-ed25519 AAAA…` lines of the host keys, by type. */
  hostKeys: Record<string, string>;
  log(): string;
  stop(): Promise<void>;
  process: ChildProcess;
}

export function keygen(file: string, type: 'ed25519' | 'ecdsa' | 'rsa', passphrase = ''): string {
  execFileSync('ssh-keygen', ['-q', '-t', type, ...(type === 'rsa' ? ['-b', '2048'] : []), '-N', passphrase, '-C', '', '-f', file]);
  return readFileSync(`${file}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
}

export async function waitPort(host: string, port: number, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host, port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`nothing listens on ${host}:${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Starts sshd on address:port. `forced` is the script run for every session
 * (it sees SSH_ORIGINAL_COMMAND). `clientKeys` are authorized public keys.
 * `netns`: run inside that network namespace.
 */
export async function startSshd(opts: {
  dir: string;
  address: string;
  port: number;
  clientKeys: string[];
  forced: string;
  hostKeyTypes?: ('ed25519' | 'ecdsa' | 'rsa')[];
  netns?: string;
  extra?: string[];
  /** authorized_keys options (default `restrict`: no forwarding). */
  keyOptions?: string;
}): Promise<Sshd> {
  const { dir, address, port } = opts;
  mkdirSync(dir, { recursive: true });
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const hostKeys: Record<string, string> = {};
  const hostKeyLines: string[] = [];
  for (const t of opts.hostKeyTypes ?? ['ed25519']) {
    const f = path.join(dir, `ssh_host_${t}_key`);
    hostKeys[t] = keygen(f, t);
    hostKeyLines.push(`HostKey ${f}`);
  }
  const forced = path.join(dir, 'forced.sh');
  writeFileSync(forced, opts.forced, { mode: 0o755 });
  const auth = path.join(dir, 'authorized_keys');
  writeFileSync(auth, opts.clientKeys.map((k) => `${opts.keyOptions ?? 'restrict'} ${k}`).join('\n') + '\n', { mode: 0o600 });
  const config = path.join(dir, 'sshd_config');
  const logFile = path.join(dir, 'sshd.log');
  writeFileSync(
    config,
    [
      `ListenAddress ${address}:${port}`,
      ...hostKeyLines,
      `AuthorizedKeysFile ${auth}`,
      `ForceCommand ${forced}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'StrictModes no',
      'UsePAM no',
      'LogLevel DEBUG1',
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      ...(opts.extra ?? []),
      '',
    ].join('\n'),
  );
  chmodSync(dir, 0o700);
  writeFileSync(logFile, '');
  const argv = ['/usr/sbin/sshd', '-D', '-f', config, '-E', logFile];
  const proc = opts.netns ? spawn('ip', ['netns', 'exec', opts.netns, ...argv], { stdio: 'ignore' }) : spawn(argv[0], argv.slice(1), { stdio: 'ignore' });
  if (opts.netns) {
    // Wait until sshd logs that it listens (the port is not reachable from here).
    const end = Date.now() + 10_000;
    while (!/Server listening on/.test(readFileSync(logFile, 'utf8'))) {
      if (Date.now() > end || proc.exitCode !== null) throw new Error(`sshd in ${opts.netns} did not start: ${readFileSync(logFile, 'utf8')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } else {
    await waitPort(address, port);
  }
  return {
    address,
    port,
    dir,
    hostKeys,
    process: proc,
    log: () => readFileSync(logFile, 'utf8'),
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}

/** A forced command that answers like `rollout version` and records what it was asked. */
export function fakeRolloutScript(dir: string, host: string): string {
  return `#!/bin/sh
# The test's stand-in for rollout: only enough to prove a session ran.
echo "$SSH_ORIGINAL_COMMAND" >> ${dir}/commands.log
printf '{"event":"result","time":"2026-01-01T00:00:00Z","verb":"version","ok":true,"code":0,"app":null,"release":null,"previous":null,"color":null,"seconds":0,"error":null,"protocol":1,"rollout":"0.1.0","compose":"2.26","router":"haproxy","host":"${host}"}\\n'
`;
}
