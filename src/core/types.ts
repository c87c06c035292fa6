/**
 * Types shared across the pure core, the fleet executor and the entry points.
 * The foundation (Deliveryfile, cluster, bundle, plan) produces them; the
 * fleet executor and the actions consume them. See docs/protocol.md for the
 * wire format these describe.
 */

/**
 * The routers a host can run. One list feeds the types, the Deliveryfile and
 * protocol schemas and the messages; adding a router (TS side) is one entry
 * here plus its host functions in src/host/ (see the README, "Layout").
 */
export const ROUTERS = ['traefik', 'haproxy'] as const;
export type Router = (typeof ROUTERS)[number];

/** Deployment modes (src/core/plan.ts `batchesOf` gives each its batches). */
export const DEPLOY_MODES = ['parallel', 'rolling', 'canary'] as const;
export type DeployMode = (typeof DEPLOY_MODES)[number];

/** What happens to the switched hosts when another one fails. */
export const ON_FAILURE = ['rollback', 'stop', 'continue'] as const;
export type OnFailure = (typeof ON_FAILURE)[number];

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
  /** Other files under app/ that the compose files reference (bind mounts, config and secret files, env_file, extends, .env); omitted when none. */
  files?: string[];
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
  /** e.g. ['rollout', 'deploy', 'group/app', '--release', ID, '--deadline', '600'] */
  command: string[];
}

/** The verbs a fleet plan carries out on every host. */
export type FleetVerb = 'deploy' | 'rollback' | 'remove';

/**
 * Data only: what a fleet run will do, for every verb. An executor (print
 * for `delivery plan` and `--dry-run`, SSH for real) carries it out and runs
 * exactly these words.
 */
export interface FleetPlan {
  verb: FleetVerb;
  application: string;
  environment: string;
  /** deploy: the new release; rollback: the target (null: each host's previous, checked equal in preflight); remove: null. */
  release: string | null;
  mode: DeployMode;
  concurrency: number;
  onFailure: OnFailure;
  router: Router | null;
  /** The words every host runs first (preflight), side by side on one connection. */
  preflight: string[][];
  /** Per-host overall timeout in seconds, sent as --deadline. */
  deadline: number;
  /** Hosts in batches, in order; parallel mode has one batch. */
  batches: HostSpec[][];
  steps: HostStep[];
  /** Non-fatal findings (tag instead of digest, v1 Traefik labels with haproxy, …). */
  warnings: string[];
}

/** A deploy: the plan plus the bundle every host gets on stdin. */
export interface Plan extends FleetPlan {
  verb: 'deploy';
  release: string;
  dryRun: boolean;
  /** The default SSH user and jump host, as the plan prints them (the connector is built from the same options). */
  ssh: SshSettings;
  bundle: Bundle;
}

export interface RollbackPlan extends FleetPlan {
  verb: 'rollback';
}

export interface RemovePlan extends FleetPlan {
  verb: 'remove';
  release: null;
}
