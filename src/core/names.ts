/**
 * Names that reach the host: group, app, release id, service and secret
 * names. Patterns follow docs/protocol.md; compose project names join group
 * and app with `_`, which neither part may contain, so `a-b/c` and `a/b-c`
 * never collide.
 */

/** A group or an app: lower case, digits, dashes; a compose project part. */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** Release id (docs/protocol.md); also never starting with `.` (isReleaseId). */
export const RELEASE_PATTERN = /^[0-9A-Za-z._-]{1,64}$/;
/** Compose service names as rollout accepts them. */
export const SERVICE_PATTERN = /^[a-zA-Z0-9._-]+$/;
/** Secret names: files under `secrets/` in the bundle. */
export const SECRET_PATTERN = /^[A-Za-z0-9_.-]+$/;

export interface Application {
  group: string;
  app: string;
}

export function isName(s: string): boolean {
  return NAME_PATTERN.test(s);
}

/** Why `group/app` is not valid, or null when it is. */
export function applicationProblem(s: string): string | null {
  const parts = s.split('/');
  if (parts.length !== 2) return `expected group/app (two parts joined by one "/"), got ${JSON.stringify(s)}`;
  for (const [what, part] of [['group', parts[0]], ['app', parts[1]]] as const) {
    if (!isName(part)) {
      return `${what} ${JSON.stringify(part)} must match ${NAME_PATTERN.source} (lower case letters, digits and dashes, at most 63, starting with a letter or digit)`;
    }
  }
  return null;
}

export function parseApplication(s: string): Application {
  const problem = applicationProblem(s);
  if (problem) throw new Error(problem);
  const [group, app] = s.split('/');
  return { group, app };
}

/** The one name for `group/app` where a single name is needed (compose projects): `group_app`. */
export function joinedName(application: string | Application): string {
  const { group, app } = typeof application === 'string' ? parseApplication(application) : application;
  return `${group}_${app}`;
}

/** Compose project of one color: `group_app_blue`. */
export function composeProjectName(application: string | Application, color: 'blue' | 'green'): string {
  return `${joinedName(application)}_${color}`;
}

/** Not starting with `.`: rollout's own working names in releases/ do (docs/protocol.md). */
export function isReleaseId(s: string): boolean {
  return RELEASE_PATTERN.test(s) && !s.startsWith('.');
}

export function isSecretName(s: string): boolean {
  return SECRET_PATTERN.test(s) && s !== '.' && s !== '..';
}

export function isServiceName(s: string): boolean {
  return SERVICE_PATTERN.test(s) && s !== '.' && s !== '..';
}
