/**
 * The events rollout prints on stdout (docs/protocol.md, "Output"), as the
 * fleet reads them. Tolerant on purpose: unknown fields pass through and an
 * unknown line is reported, never fatal, so a newer host still deploys. The
 * strict schema of protocol 1 (src/core/events.ts) names what differs.
 */
import { z } from 'zod';
import { LogEvent as StrictLog, PhaseEvent as StrictPhase, ResultEvent as StrictResult } from '../core/events';

const base = { event: z.string(), time: z.string().optional() };

export const PhaseEvent = z.looseObject({
  ...base,
  event: z.literal('phase'),
  phase: z.string(),
  app: z.string().nullish(),
  release: z.string().nullish(),
  message: z.string().nullish(),
});
export const LogEvent = z.looseObject({
  ...base,
  event: z.literal('log'),
  level: z.string(),
  message: z.string(),
});
export const ResultEvent = z.looseObject({
  ...base,
  event: z.literal('result'),
  verb: z.string(),
  ok: z.boolean(),
  code: z.number(),
  app: z.string().nullish(),
  release: z.string().nullish(),
  previous: z.string().nullish(),
  color: z.string().nullish(),
  seconds: z.number().nullish(),
  error: z.string().nullish(),
  // version
  protocol: z.number().optional(),
  rollout: z.string().optional(),
  router: z.string().nullish(),
  host: z.string().optional(),
  // status
  current: z.string().nullish(),
  lock: z.looseObject({ release: z.string().nullish(), pid: z.union([z.number(), z.string()]).nullish(), since: z.string().nullish() }).nullish(),
  // releases
  releases: z.array(z.looseObject({ id: z.string(), current: z.boolean().optional(), created: z.string().nullish() })).optional(),
  dry_run: z.boolean().optional(),
});

export type PhaseEvent = z.infer<typeof PhaseEvent>;
export type LogEvent = z.infer<typeof LogEvent>;
export type ResultEvent = z.infer<typeof ResultEvent>;
export type RolloutEvent = PhaseEvent | LogEvent | ResultEvent | { event: 'unknown'; line: string };

/** One stdout line → an event; a line that is not a known event becomes `unknown`. */
export function parseEventLine(line: string): RolloutEvent {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return { event: 'unknown', line };
  }
  for (const schema of [ResultEvent, PhaseEvent, LogEvent]) {
    const r = schema.safeParse(json);
    if (r.success) return r.data as RolloutEvent;
  }
  return { event: 'unknown', line };
}

/** Splits a byte stream into lines, calling `onLine` for each complete one. */
export function lineSplitter(onLine: (line: string) => void): { push(chunk: Buffer | string): void; end(): void } {
  let rest = '';
  return {
    push(chunk) {
      rest += chunk.toString();
      let i: number;
      while ((i = rest.indexOf('\n')) >= 0) {
        const line = rest.slice(0, i).replace(/\r$/, '');
        rest = rest.slice(i + 1);
        if (line) onLine(line);
      }
    },
    end() {
      if (rest) onLine(rest);
      rest = '';
    },
  };
}

/** What makes an event differ from the strict protocol-1 schema, or null. */
export function protocolProblem(e: RolloutEvent): string | null {
  if (e.event === 'unknown') return `not a protocol event: ${e.line.slice(0, 200)}`;
  const schema = e.event === 'phase' ? StrictPhase : e.event === 'log' ? StrictLog : StrictResult;
  const r = schema.safeParse(e);
  if (r.success) return null;
  return r.error.issues
    .slice(0, 3)
    .map((x) => `${x.path.join('.') || '(event)'}: ${x.message}`)
    .join('; ');
}
