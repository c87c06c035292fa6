/**
 * A Connector that opens the first hosts' connections ahead of the run:
 * `warm(hosts)` starts them as soon as the hosts are known (while the
 * plan still reads the compose files and builds the bundle), and the run's
 * own `connect()` of such a host takes that connection. SSH's handshake
 * (TCP, key exchange, host key check, authentication) then overlaps the
 * bundle's build instead of following it.
 *
 * Nothing changes for the run: a warm connection that failed fails at the
 * run's `connect()` of that host, with the same error (preflight reports
 * it); hosts not warmed, or asked for with another address or user, connect
 * as before. `close()` ends the warm connections nobody took (a plan that
 * failed after the hosts were known) and closes the inner connector.
 */
import type { Connector, HostConnection } from '../core/protocol';
import type { HostSpec } from '../core/types';

/** How many hosts are warmed at most: the preflight's own pool opens the rest. */
export const WARM_LIMIT = 10;

interface Warm {
  spec: HostSpec;
  conn: Promise<HostConnection>;
  taken: boolean;
}

const sameHost = (a: HostSpec, b: HostSpec) => a.host === b.host && a.port === b.port && (a.user ?? null) === (b.user ?? null);

export class Preconnector implements Connector {
  private readonly warmed = new Map<string, Warm>();

  constructor(
    private readonly inner: Connector & { close?(): void },
    private readonly limit = WARM_LIMIT,
  ) {}

  /** Starts connecting to the first `limit` hosts (no await; errors wait for `connect`). */
  warm(hosts: readonly HostSpec[]): void {
    for (const h of hosts.slice(0, this.limit)) {
      if (this.warmed.has(h.name)) continue;
      const conn = this.inner.connect(h);
      // held for connect(); not an unhandled rejection meanwhile
      conn.catch(() => undefined);
      this.warmed.set(h.name, { spec: h, conn, taken: false });
    }
  }

  /** How many warm connections are still waiting to be taken. */
  get waiting(): number {
    return [...this.warmed.values()].filter((w) => !w.taken).length;
  }

  connect(host: HostSpec, signal?: AbortSignal): Promise<HostConnection> {
    const w = this.warmed.get(host.name);
    if (w && !w.taken && sameHost(w.spec, host)) {
      w.taken = true;
      return w.conn;
    }
    return this.inner.connect(host, signal);
  }

  close(): void {
    for (const w of this.warmed.values()) {
      if (w.taken) continue;
      w.taken = true;
      w.conn.then((c) => c.close()).catch(() => undefined);
    }
    this.inner.close?.();
  }
}
