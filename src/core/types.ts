/**
 * Types shared across the pure core, the fleet executor and the entry points.
 * The foundation (Deliveryfile, cluster, bundle, plan) produces them; the
 * fleet executor and the actions consume them. See docs/protocol.md for the
 * wire format these describe.
 */

export type Router = 'traefik' | 'haproxy';
export type DeployMode = 'parallel' | 'rolling' | 'canary';
export type OnFailure = 'rollback' | 'stop' | 'continue';

/** One host of a cluster, after resolution and de-duplication. */
export interface HostSpec {
  /** Display name: the cluster's `name`, else `host` or `host:port`. */
  name: string;
  /** Address to connect to (name or IP). */
  host: string;
  /** SSH port (default 22). */
  port: number;
  /** SSH user; undefined means the Deliveryfile's ssh.user, the CLI's --ssh-user, or `deploy`. */
  user?: string;
  /** Pinned host keys: `ssh-ed25519 AAAA…` lines or `SHA256:…` fingerprints. */
  hostKeys: string[];
  /** Port of the host's router, for the upstream balancer (lb-config). Default 80. */
  httpPort: number;
  /** Where the host came from (file path, URL, or `Deliveryfile (inline)`), for messages. */
  source: string;
}

export interface Route {
  service: string;
  port: number;
  path: string | null;
  host: string | null;
  strip_prefix: boolean;
}

export interface Health {
  /** Seconds until a new color must be healthy; null: the host's HEALTH_TIMEOUT. */
  timeout: number | null;
  /** Seconds a service without a health check must stay running; null: the host's default. */
  stable: number | null;
  /** Optional HTTP probe path on the routed service. */
  path: string | null;
}

/** manifest.json in the bundle (docs/protocol.md). */
export interface Manifest {
  schema: 1;
  application: string;
  environment: string;
  release: string;
  created: string;
  git: { sha: string | null; ref: string | null };
  compose_files: string[];
  env_files: string[];
  services: string[];
  images: Record<string, string>;
  route: Route | null;
  health: Health;
  /** Releases kept on each host; null: the host's KEEP_RELEASES. */
  keep: number | null;
  router: Router | null;
  secrets: string[];
  registry: string | null;
  /** Seconds the old color stays up, out of the router, after a switch (0: off); omitted: the host's default. */
  rollback_window?: number | null;
}

/** A built bundle: the gzipped tar bytes, their digest, and its manifest. */
export interface Bundle {
  bytes: Buffer;
  sha256: string;
  manifest: Manifest;
}

export interface SshSettings {
  user: string;
  /** ProxyJump: [user@]host[:port] */
  jumpHost: string | null;
}

/** What happens on one host in a run: the exact `rollout …` words. */
export interface HostStep {
  host: HostSpec;
  /** 0-based batch index (canary: batch 0 is the canary). */
  batch: number;
  /** e.g. ['rollout', 'deploy', 'group/app', '--release', ID] */
  command: string[];
}

/** Data only: what a run will do. An executor (print, or SSH) carries it out. */
export interface Plan {
  application: string;
  environment: string;
  release: string;
  mode: DeployMode;
  concurrency: number;
  onFailure: OnFailure;
  router: Router | null;
  ssh: SshSettings;
  /** Hosts in batches, in order; parallel mode has one batch. */
  batches: HostSpec[][];
  steps: HostStep[];
  bundle: Bundle;
  /** Non-fatal findings (tag instead of digest, v1 Traefik labels with haproxy, …). */
  warnings: string[];
}
