/**
 * Reading the Deliveryfile from disk, on its own: the commands that need no
 * bundle (rollback, status, releases, remove, lb-config) load this, not
 * load-plan.ts with the compose and bundle code behind it.
 *
 * The schema (core/deliveryfile, zod) is loaded when a file is validated,
 * not with this module: `loadFleetSource` opens the first hosts'
 * connections before it (issue 13, rows 3 and 4).
 */
import { readFile, stat } from 'node:fs/promises';
import type { Deliveryfile } from '../core/deliveryfile';
import { peekFleet, sameFleet } from '../core/deliveryfile-peek';
import { ConfigurationError } from '../core/errors';
import type { HostSpec, SshSettings } from '../core/types';
import { MAX_YAML_BYTES, YamlSource } from '../core/yaml-source';
import { resolveCluster, type ResolveOptions } from './cluster-source';

/** Reads a Deliveryfile and parses its YAML (refused before reading when over MAX_YAML_BYTES). */
export async function readDeliveryfile(file: string): Promise<YamlSource> {
  let text: string;
  try {
    const st = await stat(file);
    if (!st.isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
    if (st.size > MAX_YAML_BYTES) {
      throw new ConfigurationError(`${file}: the Deliveryfile is ${(st.size / 1024 / 1024).toFixed(1)} MiB, over the limit of ${MAX_YAML_BYTES / 1024 / 1024} MiB; refused before reading`);
    }
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (err instanceof ConfigurationError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigurationError(
      code === 'ENOENT' ? `${file}: no such file; give the Deliveryfile with --file PATH (or DELIVERY_FILE)` : `${file}: cannot read the Deliveryfile (${code ?? err})`,
    );
  }
  return new YamlSource(file, text);
}

/** Validates a parsed Deliveryfile with the schema (zod, loaded on first use). */
export async function validateDeliveryfile(src: YamlSource): Promise<Deliveryfile> {
  const { parseDeliveryfileSource } = await import(/* webpackMode: "eager" */ '../core/deliveryfile.js');
  return parseDeliveryfileSource(src);
}

/**
 * Resolves after the event loop's next poll phase, the one in which a
 * socket opened now connects on loopback and ssh2 writes its first bytes;
 * one immediate alone would run before it, in this turn's check phase.
 */
export function afterNextPoll(): Promise<void> {
  return new Promise((r) => setImmediate(() => setImmediate(r)));
}

/** Reads and validates a Deliveryfile. */
export async function loadDeliveryfile(file: string): Promise<Deliveryfile> {
  return validateDeliveryfile(await readDeliveryfile(file));
}

/**
 * Reads a Deliveryfile for a fleet command on environment `env`. When the
 * environment's hosts are known from the YAML alone (peekFleet: local
 * cluster files or inline hosts), they are resolved first, `onHosts` gets
 * them (to open their connections) and the sockets get the event loop's
 * next poll to connect (afterNextPoll) before the file is validated: zod's loading and
 * checking then run while the hosts answer. The validated file decides:
 * `early` is the peeked hosts' promise only when it names the same cluster
 * and SSH settings (else null, and the caller resolves them from the file).
 * A cluster problem is not reported here but where `early` is awaited, so
 * the file's own errors come first, as before.
 */
export async function loadFleetSource(
  file: string,
  env: string,
  resolve: () => ResolveOptions,
  onHosts?: (hosts: HostSpec[], ssh: SshSettings) => void,
): Promise<{ df: Deliveryfile; early: Promise<HostSpec[]> | null }> {
  const src = await readDeliveryfile(file);
  const peek = peekFleet(src, env);
  let early: Promise<HostSpec[]> | null = null;
  if (peek) {
    // the options' own errors (a bad DELIVERY_CLUSTER_TIMEOUT) come after the file's
    early = Promise.resolve().then(() => resolveCluster(peek.cluster, resolve()));
    // handled here (no unhandled rejection); the caller awaits `early` for the error
    const hosts = await early.catch(() => null);
    if (hosts && onHosts) {
      onHosts(hosts, peek.ssh);
      await afterNextPoll();
    }
  }
  const df = await validateDeliveryfile(src);
  if (peek && !sameFleet(peek, df, env)) early = null;
  return { df, early };
}
