/**
 * The tolerant event reader, derived from the strict protocol-1 schema
 * (./events): the same fields, but any value of the right JSON type is
 * accepted and unknown fields pass through, so a newer host still deploys;
 * `protocolProblem` names what differs from the strict schema. Loaded
 * through `eventReader()` (./protocol): zod is not on the way to the first
 * connect.
 *
 * Pure: no I/O.
 */
import { z } from 'zod';
import { LogEvent as StrictLog, PhaseEvent as StrictPhase, PreparedEvent as StrictPrepared, ResultEvent as StrictResult } from './events';
import type { LogEvent as LogEventT, PhaseEvent as PhaseEventT, PreparedEvent as PreparedEventT, ResultEvent as ResultEventT, RolloutEvent } from './protocol';

// ---------------------------------------------------------------- tolerant events

/** A strict schema made tolerant: formats, enums and literals widen to their JSON type; objects pass unknown keys. */
function loosen(schema: z.ZodType): z.ZodType {
  const def = (schema as unknown as { def: { type: string; [k: string]: unknown } }).def;
  switch (def.type) {
    case 'string':
    case 'enum':
      return z.string();
    case 'number':
      return z.number();
    case 'boolean':
      return z.boolean();
    case 'literal': {
      const [v] = def.values as unknown[];
      return typeof v === 'number' ? z.number() : typeof v === 'boolean' ? z.boolean() : z.string();
    }
    case 'union': {
      const options = (def.options as z.ZodType[]).map(loosen);
      return options.length === 1 ? options[0] : z.union(options as [z.ZodType, z.ZodType, ...z.ZodType[]]);
    }
    case 'nullable':
    case 'optional':
      return loosen(def.innerType as z.ZodType).nullish();
    case 'array':
      return z.array(loosen(def.element as z.ZodType));
    case 'object':
      return z.looseObject(loosenShape((schema as z.ZodObject).shape));
    case 'record':
      return z.record(z.string(), loosen(def.valueType as z.ZodType));
    default:
      return z.unknown();
  }
}

function loosenShape(shape: Record<string, z.ZodType>, keep: Record<string, z.ZodType> = {}): Record<string, z.ZodType> {
  const out: Record<string, z.ZodType> = {};
  for (const [k, v] of Object.entries(shape)) out[k] = keep[k] ?? loosen(v);
  return out;
}

/** Every field of every result variant, each optional: one object the fleet reads whatever the verb. */
function tolerantResult(): z.ZodType {
  const def = (StrictResult as unknown as { def: { options?: z.ZodObject[]; in?: { def: { options: z.ZodObject[] } } } }).def;
  const variants = def.options ?? def.in?.def.options ?? [];
  if (!variants.length) throw new Error('protocol: the strict result schema has no variants');
  const shape: Record<string, z.ZodType> = {};
  for (const v of variants) {
    for (const [k, field] of Object.entries(v.shape)) shape[k] ??= loosen(field).optional();
  }
  return z.looseObject({ ...shape, event: z.literal('result'), verb: z.string(), ok: z.boolean(), code: z.number(), time: z.string().optional() });
}

const withTime = { time: z.string().optional() };
export const ResultEvent = tolerantResult() as z.ZodType<ResultEventT>;
export const PhaseEvent = z.looseObject({ ...loosenShape(StrictPhase.shape), ...withTime, event: z.literal('phase'), phase: z.string(), app: z.string().nullish(), release: z.string().nullish(), message: z.string().nullish() }) as unknown as z.ZodType<PhaseEventT>;
export const LogEvent = z.looseObject({ ...loosenShape(StrictLog.shape), ...withTime, event: z.literal('log') }) as unknown as z.ZodType<LogEventT>;
export const PreparedEvent = z.looseObject({ ...loosenShape(StrictPrepared.shape), ...withTime, event: z.literal('prepared') }) as unknown as z.ZodType<PreparedEventT>;

/**
 * zod compiles a fast path for an object schema (new Function) on its first
 * parse, ~1 ms each: more than a run's few events per host ever win back.
 */
const ONE_PASS = { jitless: true } as const;

/** One stdout line → an event; a line that is not a known event becomes `unknown`. */
export function parseEventLine(line: string): RolloutEvent {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return { event: 'unknown', line };
  }
  for (const schema of [ResultEvent, PhaseEvent, LogEvent, PreparedEvent] as z.ZodType<RolloutEvent>[]) {
    const r = schema.safeParse(json, ONE_PASS);
    if (r.success) return r.data;
  }
  return { event: 'unknown', line };
}

/** What makes an event differ from the strict protocol-1 schema, or null. */
export function protocolProblem(e: RolloutEvent): string | null {
  if (e.event === 'unknown') return `not a protocol event: ${e.line.slice(0, 200)}`;
  const schema = e.event === 'phase' ? StrictPhase : e.event === 'log' ? StrictLog : e.event === 'prepared' ? StrictPrepared : StrictResult;
  const r = schema.safeParse(e, ONE_PASS);
  if (r.success) return null;
  return r.error.issues
    .slice(0, 3)
    .map((x) => `${x.path.join('.') || '(event)'}: ${x.message}`)
    .join('; ');
}

