/**
 * The client's side of the wire (docs/protocol.md), shared by src/ssh (which
 * speaks it over ssh2) and src/fleet (which drives hosts through it):
 *
 * - the connection port: what the fleet needs from a host (run one
 *   `rollout …` command, optionally with the bundle on stdin, and hear its
 *   events). SSH implements it; unit tests use an in-memory fake.
 * - the tolerant event reader, derived from the strict protocol-1 schema
 *   (src/core/events.ts): the same fields, but any value of the right JSON
 *   type is accepted and unknown fields pass through, so a newer host still
 *   deploys; `protocolProblem` names what differs from the strict schema.
 *
 * Pure: no I/O.
 */
import { z } from 'zod';
import { LogEvent as StrictLog, PhaseEvent as StrictPhase, PreparedEvent as StrictPrepared, ResultEvent as StrictResult } from './events';
import type { HostSpec } from './types';

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

/** Widens a strict type the way `loosen` widens its schema. */
type Widen<T> = T extends string ? string : T extends number ? number : T extends boolean ? boolean : T extends readonly (infer E)[] ? Widen<E>[] : T extends object ? { [K in keyof T]?: Widen<T[K]> | null } & Record<string, unknown> : T;
type StrictResultT = z.infer<typeof StrictResult>;
type AllKeys<T> = T extends unknown ? keyof T : never;
type FieldOf<T, K extends PropertyKey> = T extends unknown ? (K extends keyof T ? T[K] : never) : never;
type Required = 'event' | 'verb' | 'ok' | 'code';

export type ResultEvent = { event: 'result'; verb: string; ok: boolean; code: number } & {
  [K in Exclude<AllKeys<StrictResultT>, Required>]?: Widen<FieldOf<StrictResultT, K>> | null;
} & Record<string, unknown>;
export type PhaseEvent = { event: 'phase'; phase: string } & { [K in Exclude<keyof z.infer<typeof StrictPhase>, 'event' | 'phase'>]?: string | null } & Record<string, unknown>;
export type LogEvent = { event: 'log'; level: string; message: string; time?: string | null } & Record<string, unknown>;
export type PreparedEvent = { event: 'prepared' } & { [K in Exclude<keyof z.infer<typeof StrictPrepared>, 'event'>]?: Widen<z.infer<typeof StrictPrepared>[K]> | null } & Record<string, unknown>;
export type RolloutEvent = PhaseEvent | LogEvent | PreparedEvent | ResultEvent | { event: 'unknown'; line: string };

const withTime = { time: z.string().optional() };
export const ResultEvent = tolerantResult() as z.ZodType<ResultEvent>;
export const PhaseEvent = z.looseObject({ ...loosenShape(StrictPhase.shape), ...withTime, event: z.literal('phase'), phase: z.string(), app: z.string().nullish(), release: z.string().nullish(), message: z.string().nullish() }) as unknown as z.ZodType<PhaseEvent>;
export const LogEvent = z.looseObject({ ...loosenShape(StrictLog.shape), ...withTime, event: z.literal('log') }) as unknown as z.ZodType<LogEvent>;
export const PreparedEvent = z.looseObject({ ...loosenShape(StrictPrepared.shape), ...withTime, event: z.literal('prepared') }) as unknown as z.ZodType<PreparedEvent>;

/** One stdout line → an event; a line that is not a known event becomes `unknown`. */
export function parseEventLine(line: string): RolloutEvent {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return { event: 'unknown', line };
  }
  for (const schema of [ResultEvent, PhaseEvent, LogEvent, PreparedEvent] as z.ZodType<RolloutEvent>[]) {
    const r = schema.safeParse(json);
    if (r.success) return r.data;
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
  const schema = e.event === 'phase' ? StrictPhase : e.event === 'log' ? StrictLog : e.event === 'prepared' ? StrictPrepared : StrictResult;
  const r = schema.safeParse(e);
  if (r.success) return null;
  return r.error.issues
    .slice(0, 3)
    .map((x) => `${x.path.join('.') || '(event)'}: ${x.message}`)
    .join('; ');
}

// ---------------------------------------------------------------- connection port

/** Why a host could not be reached or a command did not finish. */
export type TransportKind =
  | 'host-key' // refused before authentication
  | 'auth' // authentication failed
  | 'connect-timeout' // no SSH session within the connect timeout
  | 'unreachable' // refused, no route, DNS
  | 'cut' // the connection dropped while a command ran
  | 'timeout' // the per-host overall timeout fired
  | 'aborted'; // the run was interrupted

export class TransportError extends Error {
  constructor(
    readonly kind: TransportKind,
    message: string,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

/** The host could not be reached at all (as opposed to a command that broke off). */
export function isUnreachable(e: unknown): boolean {
  return e instanceof TransportError && (e.kind === 'unreachable' || e.kind === 'connect-timeout');
}

export interface RunOptions {
  /**
   * Written to the command's stdin, then stdin is closed. A promise is
   * written when it settles (null, or a rejection: stdin is closed with
   * nothing), so a command can wait for the client's word (rollback --confirm).
   */
  stdin?: Buffer | Promise<Buffer | null>;
  onEvent?(event: RolloutEvent): void;
  onStderr?(line: string): void;
  /** Bytes of stdin written so far. */
  onUpload?(bytes: number): void;
  /** Aborting closes the channel (and the command's stdin). */
  signal?: AbortSignal;
}

export interface RunResult {
  /** The remote exit code; null when the channel closed without one. */
  exitCode: number | null;
  /** The final `result` event, when rollout printed one. */
  result: ResultEvent | null;
  events: RolloutEvent[];
  /** The last stderr lines, for error messages. */
  stderrTail: string[];
}

export interface HostConnection {
  /** Runs `words` (e.g. ['rollout','status','g/a']). Throws TransportError when the connection fails. */
  run(words: readonly string[], options?: RunOptions): Promise<RunResult>;
  close(): void;
}

export interface Connector {
  /** Opens one connection; throws TransportError (host key, auth, timeout, unreachable). */
  connect(host: HostSpec, signal?: AbortSignal): Promise<HostConnection>;
}
