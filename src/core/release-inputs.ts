/**
 * The pure half of loading a plan (src/adapters/load-plan.ts reads the
 * files and the network, this turns what it read into data): the preview's
 * name and route, the app secrets the environment asks for, the registry
 * credentials file, the created time and release id, and the manifest.
 */
import type { Deliveryfile, EnvironmentData } from './deliveryfile';
import { parseDotenv } from './dotenv';
import { ConfigurationError } from './errors';
import { applicationProblem } from './names';
import { makeReleaseId, releaseIdProblem, sourceDateEpoch } from './release';
import type { Manifest, Route } from './types';

/** `group/app-pr-N` for a preview. */
export function previewApplication(application: string, n: number): string {
  if (!Number.isInteger(n) || n < 1) throw new ConfigurationError(`preview: the pull request number must be a positive whole number, got ${n}`);
  const name = `${application}-pr-${n}`;
  const problem = applicationProblem(name);
  if (problem) throw new ConfigurationError(`preview application ${name}: ${problem}; shorten the app name`);
  return name;
}

/** The URL people open for preview N (the template's {number} filled), or null. */
export function previewUrl(df: Deliveryfile, n: number): string | null {
  const t = df.data.preview?.url;
  return t ? t.split('{number}').join(String(n)) : null;
}

/** The Deliveryfile's route, or for preview N the preview template's route with {number} filled. */
export function routeOf(df: Deliveryfile, preview?: { number: number }): Route | null {
  const r = df.data.route;
  if (!preview) return r ? { service: r.service, port: r.port, path: r.path ?? null, host: r.host ?? null, strip_prefix: r.strip_prefix } : null;
  const t = df.data.preview?.route;
  if (!t) throw df.source.error(['preview'], 'missing: a preview needs "preview: {route: {path: /pr-{number}/}}" so it gets a route of its own');
  if (!r) throw df.source.error([], 'missing key "route": a preview reuses its service and port');
  const fill = (s: string | undefined) => (s === undefined ? null : s.split('{number}').join(String(preview.number)));
  return { service: r.service, port: r.port, path: fill(t.path), host: fill(t.host), strip_prefix: r.strip_prefix };
}

/** Secret values as given (dotenv text or a map), in a map without a prototype. */
export function parseSecrets(given: string | Readonly<Record<string, string>> | undefined): Record<string, string> {
  if (typeof given === 'string') return parseDotenv(given, 'secrets');
  return Object.assign(Object.create(null) as Record<string, string>, given ?? {});
}

/** Every secret the environment lists must have a value. */
export function checkSecrets(df: Deliveryfile, envName: string, env: EnvironmentData, values: Readonly<Record<string, string>>): void {
  env.secrets.forEach((name, i) => {
    if (!Object.hasOwn(values, name)) {
      throw df.source.error(['environments', envName, 'secrets', i], `no value for secret ${name}: give it as ${name}=… in the secrets input (--secrets-file PATH or DELIVERY_SECRETS)`);
    }
  });
}

/** docker-config.json for the hosts' pulls, and the auth value to mask; null without credentials. */
export function dockerConfigOf(df: Deliveryfile, username?: string, password?: string): { json: string; auth: string } | null {
  if (!username && !password) return null;
  if (!username || !password) throw new ConfigurationError('registry credentials: give both registry-username and registry-password');
  if (!df.data.registry) throw df.source.error([], 'missing key "registry": registry credentials were given, so the Deliveryfile must name the registry host they are for');
  const auth = Buffer.from(`${username}:${password}`).toString('base64');
  return { json: JSON.stringify({ auths: { [df.data.registry]: { auth } } }, null, 2) + '\n', auth };
}

/** The created time: SOURCE_DATE_EPOCH when set, else `now`. */
export function createdTime(penv: NodeJS.ProcessEnv, now: Date): Date {
  try {
    return sourceDateEpoch(penv) ?? now;
  } catch (err) {
    throw new ConfigurationError((err as Error).message);
  }
}

/** The release id given (checked), or `YYYYMMDDTHHMMSSZ-<sha7>` (random hex without a sha). */
export function releaseOf(given: string | undefined, created: Date, gitSha: string | null | undefined, randomHex: string): string {
  if (given === undefined) return makeReleaseId(created, gitSha, randomHex);
  const problem = releaseIdProblem(given);
  if (problem) throw new ConfigurationError(`--release: ${problem}`);
  return given;
}

export interface ManifestInputs {
  df: Deliveryfile;
  env: EnvironmentData;
  envName: string;
  application: string;
  release: string;
  created: Date;
  git: { sha: string | null; ref: string | null };
  services: string[];
  images: Record<string, string>;
  route: Route | null;
  /** Other files the compose files reference, under app/. */
  files: string[];
}

export function manifestOf(i: ManifestInputs): Manifest {
  const d = i.df.data;
  return {
    schema: 1,
    application: i.application,
    environment: i.envName,
    release: i.release,
    created: i.created.toISOString(),
    git: { sha: i.git.sha ?? null, ref: i.git.ref ?? null },
    compose_files: i.env.files,
    env_files: i.env.env_files,
    services: i.services,
    images: i.images,
    route: i.route,
    health: { timeout: d.health.timeout ?? null, stable: d.health.stable ?? null, path: d.health.path ?? null },
    keep: d.keep ?? null,
    router: i.df.router,
    secrets: i.env.secrets,
    registry: d.registry ?? null,
    ...(d.rollback_window !== undefined ? { rollback_window: d.rollback_window } : {}),
    ...(i.files.length ? { files: i.files } : {}),
  };
}
