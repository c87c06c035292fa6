/**
 * The SSH side of the fleet (ssh2): one verified, authenticated connection
 * per host per run, optionally through a jump host, running `rollout …`
 * commands with the bundle streamed on stdin and the events read live.
 */
import { Client, utils, type ClientChannel, type ConnectConfig } from 'ssh2';
import type { Readable } from 'node:stream';
import { ConfigurationError } from '../core/errors';
import type { Logger } from '../core/logger';
import type { HostSpec } from '../core/types';
import {
  TransportError,
  eventReader,
  lineSplitter,
  type Connector,
  type HostConnection,
  type ResultEvent,
  type RolloutEvent,
  type RunOptions,
  type RunResult,
} from '../core/protocol';
import {
  fingerprint,
  keyTypeOf,
  preferredHostKeyAlgorithms,
  verifyHostKey,
  type KnownHostEntry,
} from './known-hosts';

const KEEPALIVE_COUNT_MAX = 3;

export interface JumpHost {
  user: string | null;
  host: string;
  port: number;
}

/** `[user@]host[:port]`, `[user@][v6addr]:port` */
export function parseJumpHost(text: string): JumpHost {
  const m = /^(?:([A-Za-z0-9._-]+)@)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::([0-9]{1,5}))?$/.exec(text.trim());
  const port = m?.[3] ? Number(m[3]) : 22;
  if (!m || port < 1 || port > 65535) {
    throw new ConfigurationError(`jump-host: expected [user@]host[:port], got ${JSON.stringify(text)}`);
  }
  return { user: m[1] ?? null, host: m[2].replace(/^\[|\]$/g, ''), port };
}

export interface SshSettingsInput {
  /** Private key text (OpenSSH or PEM); when absent the agent in `agent` is used. */
  privateKey?: string;
  passphrase?: string;
  /** ssh-agent socket (SSH_AUTH_SOCK). */
  agent?: string;
  /** Default user for hosts that name none. */
  user: string;
  knownHosts: KnownHostEntry[];
  insecureSkipHostKeyCheck: boolean;
  jumpHost: JumpHost | null;
  /** Default 15 000. */
  connectTimeoutMs?: number;
  /** Default 10 000; the connection counts as cut after 3 unanswered. */
  keepaliveIntervalMs?: number;
  logger: Logger;
}

function describeHost(h: { name: string; host: string; port: number }): string {
  return h.name === h.host || h.name === `${h.host}:${h.port}` ? `${h.host}:${h.port}` : `${h.name} (${h.host}:${h.port})`;
}

/** Checks the key and passphrase now, so a bad key is one clear error before any host is contacted. */
export function checkPrivateKey(key: string, passphrase: string | undefined): void {
  const parsed = utils.parseKey(key, passphrase);
  const err = Array.isArray(parsed) ? null : parsed instanceof Error ? parsed : null;
  if (err) {
    const msg = /passphrase|decrypt|encrypted/i.test(err.message)
      ? `${err.message}; the key is encrypted: give its passphrase in DELIVERY_SSH_PASSPHRASE (or --ssh-passphrase, visible in the process list)`
      : err.message;
    throw new ConfigurationError(`ssh-key: cannot use the private key (${msg})`);
  }
}

export class SshConnector implements Connector {
  private jump: Promise<Client> | null = null;
  private readonly connectTimeoutMs: number;
  private readonly keepaliveIntervalMs: number;

  constructor(private readonly s: SshSettingsInput) {
    this.connectTimeoutMs = s.connectTimeoutMs ?? 15_000;
    this.keepaliveIntervalMs = s.keepaliveIntervalMs ?? 10_000;
    if (s.privateKey) {
      checkPrivateKey(s.privateKey, s.passphrase);
    } else if (!s.agent) {
      throw new ConfigurationError(
        'no SSH key: give --ssh-key PATH (or the key text in DELIVERY_SSH_KEY), or run an ssh-agent with the key (SSH_AUTH_SOCK)',
      );
    }
  }

  private baseConfig(label: string, host: string, port: number, user: string, pinned: readonly string[]): {
    config: ConnectConfig;
    refusal: () => string | null;
  } {
    let refused: string | null = null;
    const policy = { knownHosts: this.s.knownHosts, pinned };
    const algos = this.s.insecureSkipHostKeyCheck ? null : preferredHostKeyAlgorithms(host, port, policy);
    const config: ConnectConfig = {
      host,
      port,
      username: user,
      readyTimeout: this.connectTimeoutMs,
      keepaliveInterval: this.keepaliveIntervalMs,
      keepaliveCountMax: KEEPALIVE_COUNT_MAX,
      // Runs during key exchange, before any authentication is attempted.
      hostVerifier: (key: Buffer) => {
        if (this.s.insecureSkipHostKeyCheck) {
          this.s.logger.warn(
            `host ${label}: insecure-skip-host-key-check is set: accepting host key ${fingerprint(key)} (${keyTypeOf(key)}) WITHOUT verification`,
          );
          return true;
        }
        const v = verifyHostKey(label, host, port, key, policy);
        if (!v.ok) refused = v.message;
        return v.ok;
      },
    };
    if (algos) config.algorithms = { serverHostKey: algos as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] };
    if (this.s.privateKey) {
      config.privateKey = this.s.privateKey;
      if (this.s.passphrase) config.passphrase = this.s.passphrase;
    }
    if (this.s.agent) config.agent = this.s.agent;
    // Only the methods it has, in order: without a list ssh2 first asks with
    // "none" (to learn what the server allows), one more round trip on every
    // connection (~50 ms against a loopback sshd here, an RTT more elsewhere).
    const methods = [...(this.s.privateKey ? (['publickey'] as const) : []), ...(this.s.agent ? (['agent'] as const) : [])];
    if (methods.length) config.authHandler = methods;
    return { config, refusal: () => refused };
  }

  private open(
    label: string,
    host: string,
    port: number,
    user: string,
    pinned: readonly string[],
    sock?: Readable,
    signal?: AbortSignal,
  ): Promise<Client> {
    const { config, refusal } = this.baseConfig(label, host, port, user, pinned);
    if (sock) config.sock = sock;
    return new Promise((resolve, reject) => {
      const client = new Client();
      let settled = false;
      const fail = (e: TransportError) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        client.end();
        reject(e);
      };
      const onAbort = () => fail(new TransportError('aborted', `host ${label}: ${abortMessage(signal)}`));
      signal?.addEventListener('abort', onAbort, { once: true });
      client.on('ready', () => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        resolve(client);
      });
      client.on('error', (err: Error & { level?: string; code?: string }) => {
        const refusedMsg = refusal();
        if (refusedMsg) return fail(new TransportError('host-key', refusedMsg));
        if (err.level === 'client-timeout' && /handshake/.test(err.message)) {
          return fail(
            new TransportError(
              'connect-timeout',
              `host ${label}: connect timeout (${this.connectTimeoutMs / 1000} s) passed before the SSH session was ready; check that the host is up and port ${port} is reachable`,
            ),
          );
        }
        if (err.level === 'client-authentication') {
          const how = this.s.privateKey ? 'the given ssh-key' : `the keys of the ssh-agent (${this.s.agent})`;
          return fail(
            new TransportError(
              'auth',
              `host ${label}: authentication as ${user} failed with ${how}; is the public key in ${user}'s authorized_keys on the host?`,
            ),
          );
        }
        const code = err.code ? ` (${err.code})` : '';
        fail(new TransportError('unreachable', `host ${label}: cannot connect to ${host}:${port}: ${err.message}${code}`));
      });
      client.on('close', () => fail(new TransportError('unreachable', `host ${label}: the connection closed during the SSH handshake`)));
      client.connect(config);
      // Small SSH packets both ways (auth steps, exec requests, rollout's
      // event lines): without TCP_NODELAY, Nagle and the peer's delayed ACK
      // add ~40 ms to each round trip (connect 210 ms → 50 ms on loopback).
      // On a jump host's channel this is a no-op (its own socket has it).
      client.setNoDelay(true);
      // The event reader (zod) loads while the host answers: after the
      // loop's next poll, in which the TCP connection opens and ssh2 sends
      // its first bytes on loopback (elsewhere the round trip hides it); a
      // single immediate would run before that poll.
      setImmediate(() => setImmediate(() => void eventReader()));
    });
  }

  private jumpClient(signal?: AbortSignal): Promise<Client> {
    const j = this.s.jumpHost!;
    if (!this.jump) {
      const label = `jump host ${j.host}:${j.port}`;
      this.jump = this.open(label, j.host, j.port, j.user ?? this.s.user, [], undefined, signal);
      this.jump.catch(() => {
        this.jump = null;
      });
    }
    return this.jump;
  }

  async connect(h: HostSpec, signal?: AbortSignal): Promise<HostConnection> {
    const label = describeHost(h);
    let sock: Readable | undefined;
    if (this.s.jumpHost) {
      const jump = await this.jumpClient(signal);
      sock = await new Promise<Readable>((resolve, reject) =>
        jump.forwardOut('127.0.0.1', 0, h.host, h.port, (err, ch) =>
          err
            ? reject(new TransportError('unreachable', `host ${label}: the jump host ${this.s.jumpHost!.host} cannot reach ${h.host}:${h.port}: ${err.message}`))
            : resolve(ch),
        ),
      );
    }
    const client = await this.open(label, h.host, h.port, h.user ?? this.s.user, h.hostKeys, sock, signal);
    return new SshHostConnection(client, label, this.keepaliveIntervalMs, KEEPALIVE_COUNT_MAX);
  }

  /** Closes the shared jump connection. */
  close(): void {
    this.jump?.then((c) => c.end()).catch(() => undefined);
    this.jump = null;
  }
}

function abortMessage(signal: AbortSignal | undefined): string {
  const r: unknown = signal?.reason;
  return r instanceof Error ? r.message : typeof r === 'string' ? r : 'interrupted';
}

class SshHostConnection implements HostConnection {
  private closed = false;
  private closeReason: string | null = null;

  constructor(
    private readonly client: Client,
    private readonly label: string,
    keepaliveIntervalMs: number,
    keepaliveCountMax: number,
  ) {
    client.on('error', (err: Error) => {
      this.closeReason = /keepalive/i.test(err.message)
        ? `keepalive timeout: ${keepaliveCountMax} keepalives ${keepaliveIntervalMs / 1000} s apart went unanswered`
        : err.message;
    });
    client.on('close', () => {
      this.closed = true;
    });
  }

  async run(words: readonly string[], o: RunOptions = {}): Promise<RunResult> {
    const command = words.join(' ');
    const { parseEventLine } = await eventReader();
    return new Promise<RunResult>((resolve, reject) => {
      if (this.closed) {
        reject(new TransportError('cut', `host ${this.label}: the connection is closed`));
        return;
      }
      const events: RolloutEvent[] = [];
      const stderrTail: string[] = [];
      let result: ResultEvent | null = null;
      let exitCode: number | null = null;
      let done = false;
      const out = lineSplitter((line) => {
        const e = parseEventLine(line);
        events.push(e);
        if (e.event === 'result') result = e as ResultEvent;
        o.onEvent?.(e);
      });
      const err = lineSplitter((line) => {
        stderrTail.push(line);
        if (stderrTail.length > 20) stderrTail.shift();
        o.onStderr?.(line);
      });
      const finish = (error: TransportError | null) => {
        if (done) return;
        done = true;
        o.signal?.removeEventListener('abort', onAbort);
        this.client.removeListener('close', onClientClose);
        out.end();
        err.end();
        if (error) reject(error);
        else resolve({ exitCode, result, events, stderrTail });
      };
      const onAbort = () => {
        const r: unknown = o.signal?.reason;
        const e = r instanceof TransportError ? r : new TransportError('aborted', `host ${this.label}: ${abortMessage(o.signal)}`);
        // Closing the connection is what tells the host we are gone.
        this.client.end();
        this.client.destroy();
        finish(e);
      };
      const onClientClose = () => {
        if (exitCode !== null) return finish(null);
        finish(
          new TransportError(
            'cut',
            `host ${this.label}: the SSH connection was cut while \`${command}\` ran${this.closeReason ? ` (${this.closeReason})` : ''}`,
          ),
        );
      };
      if (o.signal?.aborted) return onAbort();
      o.signal?.addEventListener('abort', onAbort, { once: true });
      this.client.on('close', onClientClose);
      this.client.exec(command, (e, ch) => {
        if (e) return finish(new TransportError('cut', `host ${this.label}: cannot run \`${command}\`: ${e.message}`));
        ch.on('data', (d: Buffer) => out.push(d));
        ch.stderr.on('data', (d: Buffer) => err.push(d));
        ch.on('exit', (code: number | null) => {
          exitCode = typeof code === 'number' ? code : null;
        });
        ch.on('close', () => {
          if (exitCode === null) {
            return finish(
              new TransportError('cut', `host ${this.label}: \`${command}\` ended without an exit status${this.closeReason ? ` (${this.closeReason})` : ''}`),
            );
          }
          finish(null);
        });
        void writeStdin(ch, o.stdin, o.onUpload).catch(() => undefined);
      });
    });
  }

  close(): void {
    this.client.end();
  }
}

/** Streams the bundle in chunks, honouring backpressure, then closes stdin; a promise is awaited first. */
async function writeStdin(ch: ClientChannel, input: Buffer | Promise<Buffer | null> | undefined, onUpload?: (bytes: number) => void): Promise<void> {
  const data = input instanceof Promise ? await input.catch(() => null) : input;
  if (ch.destroyed) return;
  if (!data) {
    ch.end();
    return;
  }
  const CHUNK = 64 * 1024;
  for (let off = 0; off < data.length; off += CHUNK) {
    const ok = ch.write(data.subarray(off, off + CHUNK));
    onUpload?.(Math.min(off + CHUNK, data.length));
    if (!ok) {
      await new Promise<void>((resolve) => {
        const done = () => {
          ch.removeListener('drain', done);
          ch.removeListener('close', done);
          resolve();
        };
        ch.once('drain', done);
        ch.once('close', done);
      });
    }
    if (ch.destroyed) return;
  }
  ch.end();
}
