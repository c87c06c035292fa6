/**
 * The events `rollout` prints on stdout, one JSON object per line
 * (docs/protocol.md, "Output"): the strict schema of protocol 1. The unit
 * test checks it against real rollout output. A reader that must tolerate a
 * newer host (the fleet's live progress) can parse loosely and use these
 * schemas to name what differs.
 */
import { z } from 'zod';
import { ROUTERS } from './types';
import { EXIT_CODES, PHASES, PROTOCOL_VERSION } from './wire';

// The protocol's words that need no schema live in ./wire (loaded without
// zod, before the first connect); re-exported here for the schema's users.
export { EXIT_CODES, PHASES, PROTOCOL_VERSION, VERBS, type Phase, type RolloutExitCode, type Verb } from './wire';

const isoTime = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/, 'ISO 8601 UTC time');
const appName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}\/[a-z0-9][a-z0-9-]{0,62}$/, 'group/app');
const releaseId = z
  .string()
  .regex(/^[0-9A-Za-z._-]{1,64}$/)
  .refine((s) => s !== '.' && s !== '..', 'not . or ..');
const color = z.enum(['blue', 'green']);
const router = z.enum(ROUTERS);
const exitCode = z.union(Object.values(EXIT_CODES).map((n) => z.literal(n)) as [z.ZodLiteral<0>, ...z.ZodLiteral<number>[]]);

export const PhaseEvent = z.strictObject({
  event: z.literal('phase'),
  time: isoTime,
  phase: z.enum(PHASES),
  app: appName.nullable(),
  release: releaseId.nullable(),
  message: z.string(),
});

export const LogEvent = z.strictObject({
  event: z.literal('log'),
  time: isoTime,
  level: z.enum(['info', 'warn', 'error']),
  message: z.string(),
});

const resultBase = {
  event: z.literal('result'),
  time: isoTime,
  ok: z.boolean(),
  code: exitCode,
  app: appName.nullable(),
  release: releaseId.nullable(),
  previous: releaseId.nullable(),
  color: color.nullable(),
  seconds: z.number().int().nonnegative(),
  error: z.string().nullable(),
};

export const ContainerStatus = z.strictObject({
  service: z.string(),
  name: z.string(),
  state: z.string(),
  health: z.string(),
});

/** Verb fields are present when the verb succeeded (ok: true). */
const DeployResult = z.strictObject({ ...resultBase, verb: z.literal('deploy'), dry_run: z.literal(true).optional() });
const RollbackResult = z.strictObject({ ...resultBase, verb: z.literal('rollback') });
const RemoveResult = z.strictObject({ ...resultBase, verb: z.literal('remove') });
/** A command refused before its verb was known (grammar). */
const UnknownResult = z.strictObject({ ...resultBase, verb: z.literal('unknown') });
/** What `version` answers (and `preflight` with it). */
const versionFields = {
  protocol: z.literal(PROTOCOL_VERSION).optional(),
  rollout: z.string().optional(),
  compose: z.string().optional(),
  router: router.optional(),
  host: z.string().optional(),
};
const VersionResult = z.strictObject({ ...resultBase, verb: z.literal('version'), ...versionFields });
const lockInfo = z
  .strictObject({ release: z.string().nullable(), pid: z.number().int().nullable(), since: isoTime.nullable(), state: z.enum(['finishing']).nullable().optional() })
  .nullable()
  .optional();
const keptReleases = z
  .array(z.strictObject({ id: releaseId, current: z.boolean(), created: isoTime, images: z.record(z.string(), z.string()).optional() }))
  .optional();
const StatusResult = z.strictObject({
  ...resultBase,
  verb: z.literal('status'),
  current: releaseId.nullable().optional(),
  containers: z.array(ContainerStatus).optional(),
  last: z
    .strictObject({ release: releaseId.nullable(), result: z.string().nullable(), time: isoTime.nullable(), seconds: z.number().int() })
    .nullable()
    .optional(),
  lock: lockInfo,
  /** The images the current release pinned, service → repo@sha256:… */
  images: z.record(z.string(), z.string()).nullable().optional(),
});
const ReleasesResult = z.strictObject({
  ...resultBase,
  verb: z.literal('releases'),
  releases: keptReleases,
});
/** version + status (without containers) + releases (with --releases) in one answer, read without the Docker engine. */
const PreflightResult = z.strictObject({
  ...resultBase,
  verb: z.literal('preflight'),
  ...versionFields,
  current: releaseId.nullable().optional(),
  lock: lockInfo,
  releases: keptReleases,
});
const ListResult = z.strictObject({
  ...resultBase,
  verb: z.literal('list'),
  apps: z.array(z.strictObject({ app: appName, current: releaseId.nullable() })).optional(),
});

export const ResultEvent = z
  .discriminatedUnion('verb', [
    DeployResult,
    RollbackResult,
    RemoveResult,
    UnknownResult,
    VersionResult,
    StatusResult,
    ReleasesResult,
    ListResult,
    PreflightResult,
  ])
  .superRefine((r, ctx) => {
    if (r.ok !== (r.code === 0)) ctx.addIssue({ code: 'custom', message: `ok is ${r.ok} but code is ${r.code}` });
    if (!r.ok && r.error === null) ctx.addIssue({ code: 'custom', message: 'a failed result names its error' });
  });

/**
 * `rollback --confirm`: the preflight's answer on the rollback's own
 * channel, sent with the app's lock held, before the host waits for "go
 * RELEASE" on stdin (docs/protocol.md).
 */
export const PreparedEvent = z.strictObject({
  event: z.literal('prepared'),
  time: isoTime,
  app: appName,
  ...versionFields,
  current: releaseId.nullable(),
  previous: releaseId.nullable(),
  color: color.nullable(),
  lock: lockInfo,
  releases: keptReleases,
});

export const RolloutEvent = z.union([PhaseEvent, LogEvent, PreparedEvent, ResultEvent]);

export type PhaseEvent = z.infer<typeof PhaseEvent>;
export type LogEvent = z.infer<typeof LogEvent>;
export type PreparedEvent = z.infer<typeof PreparedEvent>;
export type ResultEvent = z.infer<typeof ResultEvent>;
export type RolloutEvent = z.infer<typeof RolloutEvent>;

/** Where a stdout stream breaks the protocol: line number and what is wrong. */
export interface EventProblem {
  line: number;
  text: string;
  problem: string;
}

/**
 * Check a whole stdout of one rollout run: every line is an event, the
 * result comes exactly once and last. Returns the events and the problems.
 */
export function checkRolloutStdout(stdout: string): { events: RolloutEvent[]; problems: EventProblem[] } {
  const events: RolloutEvent[] = [];
  const problems: EventProblem[] = [];
  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  lines.forEach((text, i) => {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      problems.push({ line: i + 1, text, problem: 'not JSON' });
      return;
    }
    const r = RolloutEvent.safeParse(json);
    if (!r.success) {
      problems.push({ line: i + 1, text, problem: r.error.issues.map((x) => `${x.path.join('.') || '(event)'}: ${x.message}`).join('; ') });
      return;
    }
    events.push(r.data);
  });
  const results = events.filter((e) => e.event === 'result');
  if (results.length !== 1) problems.push({ line: 0, text: '', problem: `expected exactly one result event, got ${results.length}` });
  else if (events[events.length - 1].event !== 'result') problems.push({ line: lines.length, text: '', problem: 'the result event is not last' });
  return { events, problems };
}
