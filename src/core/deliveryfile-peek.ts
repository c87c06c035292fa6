/**
 * What a Deliveryfile says about where its hosts are, without zod: the
 * defaults and name patterns the schema (./deliveryfile) shares, the
 * environment lookup, and `peekFleet`, which reads an environment's cluster
 * sources and SSH settings from the parsed YAML before the schema has seen
 * it. The first hosts' connections then open while zod loads and checks the
 * file (issue 13, rows 3 and 4); the validated file decides whether they
 * are used (`sameFleet`).
 *
 * Pure: no I/O.
 */
import { ConfigurationError } from './errors';
import type { DeployMode, OnFailure, SshSettings } from './types';
import type { Deliveryfile, EnvironmentData } from './deliveryfile';
import { didYouMean, type YamlSource } from './yaml-source';

export const DEFAULTS = {
  mode: 'parallel' as DeployMode,
  concurrency: 10,
  batch: 1 as number | string,
  canary: 1,
  onFailure: 'rollback' as OnFailure,
  sshUser: 'deploy',
  sshPort: 22,
  stripPrefix: false,
};

export const SSH_USER = /^[a-z_][a-z0-9_.-]{0,31}$/;
export const JUMP_HOST = /^(?:[a-z_][a-z0-9_.-]{0,31}@)?(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;

/** The environment `name`, or a ConfigurationError listing the ones there are. */
export function environmentOf(df: Deliveryfile, name: string): EnvironmentData {
  const env = Object.hasOwn(df.data.environments, name) ? df.data.environments[name] : undefined;
  if (!env) {
    const names = Object.keys(df.data.environments);
    const hint = didYouMean(name, names);
    throw new ConfigurationError(
      `${df.source.where(['environments'])}: no environment ${JSON.stringify(name)}${hint ? `; did you mean "${hint}"?` : ''} (there are: ${names.join(', ')})`,
    );
  }
  return env;
}

/** What resolving an environment's hosts reads from a Deliveryfile. */
export interface ClusterRef {
  /** The Deliveryfile as the user named it, and its parsed YAML (for positioned errors). */
  file: string;
  source: YamlSource;
  env: string;
  /** environments.ENV.cluster: paths, https:// URLs, inline {hosts: […]}. */
  entries: readonly unknown[];
  /** ssh.port: the port of hosts that name none. */
  defaultPort: number;
}

/** The validated file's cluster reference for `env` (throws when there is no such environment). */
export function clusterRefOf(df: Deliveryfile, env: string): ClusterRef {
  return { file: df.file, source: df.source, env, entries: environmentOf(df, env).cluster, defaultPort: df.data.ssh.port };
}

/** The SSH settings of the file that decide where a connection goes. */
export function fileSshOf(df: Deliveryfile): SshSettings {
  return { user: df.data.ssh.user, jumpHost: df.data.ssh.jump_host ?? null };
}

const isMap = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const isUrl = (s: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(s.trim());

/**
 * Environment `env`'s cluster and SSH settings as the YAML has them, before
 * validation; null unless each is already what the schema accepts and the
 * cluster is local (files or inline hosts: a URL is fetched after the
 * checks, as always). Nothing here throws: the validation says what is wrong.
 */
export function peekFleet(source: YamlSource, env: string): { cluster: ClusterRef; ssh: SshSettings } | null {
  const data = source.data;
  if (!isMap(data) || !isMap(data.environments) || !Object.hasOwn(data.environments, env)) return null;
  const e = data.environments[env];
  if (!isMap(e) || !Array.isArray(e.cluster) || e.cluster.length === 0) return null;
  if (!e.cluster.every((c) => (typeof c === 'string' && c.trim() !== '' && !isUrl(c)) || isMap(c))) return null;
  const ssh = data.ssh ?? {};
  if (!isMap(ssh)) return null;
  const { user = DEFAULTS.sshUser, port = DEFAULTS.sshPort, jump_host: jump } = ssh;
  if (typeof user !== 'string' || !SSH_USER.test(user)) return null;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) return null;
  if (jump !== undefined && (typeof jump !== 'string' || !JUMP_HOST.test(jump))) return null;
  return {
    cluster: { file: source.file, source, env, entries: e.cluster, defaultPort: port },
    ssh: { user, jumpHost: jump ?? null },
  };
}

/** Whether the validated file names the same hosts and SSH settings as the peek did. */
export function sameFleet(peek: { cluster: ClusterRef; ssh: SshSettings }, df: Deliveryfile, env: string): boolean {
  if (!Object.hasOwn(df.data.environments, env)) return false;
  const ref = clusterRefOf(df, env);
  const ssh = fileSshOf(df);
  return (
    ref.source === peek.cluster.source &&
    ref.defaultPort === peek.cluster.defaultPort &&
    JSON.stringify(ref.entries) === JSON.stringify(peek.cluster.entries) &&
    ssh.user === peek.ssh.user &&
    ssh.jumpHost === peek.ssh.jumpHost
  );
}
