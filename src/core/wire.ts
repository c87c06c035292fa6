/**
 * The words of rollout's protocol 1 that need no schema (docs/protocol.md):
 * its version, phases, verbs and exit codes. Apart from ./events (the strict
 * zod schema, which re-exports them) so that the fleet and the SSH client
 * load no zod before the first connect (issue 13, row 4).
 */

export const PROTOCOL_VERSION = 1;

export const PHASES = [
  'received',
  'checked',
  'pulling',
  'pulled',
  'starting',
  'healthy',
  'switching',
  'draining',
  'switched',
  'pruning',
  'rolling-back',
  'rolled-back',
  'removing',
  'removed',
] as const;
export type Phase = (typeof PHASES)[number];

export const VERBS = ['deploy', 'rollback', 'status', 'releases', 'list', 'remove', 'version', 'preflight'] as const;
export type Verb = (typeof VERBS)[number];

/** Exit codes of rollout (docs/protocol.md, "Exit codes"). */
export const EXIT_CODES = {
  ok: 0,
  internal: 1,
  refused: 2,
  locked: 3,
  pullFailed: 4,
  healthFailed: 5,
  routerFailed: 6,
  deadline: 8,
} as const;
export type RolloutExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];
