import { LineCounter, isAlias, isMap, isPair, isScalar, isSeq, parseDocument, type Document, type Node } from 'yaml';
import { ConfigurationError } from './errors';

export type FieldPath = readonly (string | number)[];

/** `environments.qa.files[0]`; keys that are not plain words are quoted: `images["my.svc"]`. */
export function formatPath(path: FieldPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** YAML files bigger than this are refused before they are parsed. */
export const MAX_YAML_BYTES = 1024 * 1024;
/** Nodes an alias may add when it is expanded (all aliases of one file together). */
export const MAX_ALIAS_NODES = 100_000;
/** Maps and lists nested deeper than this are refused (a real file nests a handful). */
export const MAX_DEPTH = 200;

/** A value tagged `!reset` or `!override` (compose files: how an override file removes or replaces a value). */
export class Tagged {
  constructor(
    readonly tag: '!reset' | '!override',
    readonly value: unknown,
  ) {}
}

export interface YamlSourceOptions {
  /** Size cap in bytes (default MAX_YAML_BYTES); `what` names the kind of file in the message. */
  maxBytes?: number;
  what?: string;
  /** Keep `!reset` / `!override` as Tagged values (compose files); otherwise tags are ignored. */
  composeTags?: boolean;
}

/**
 * A YAML file with positions: every message about a field names
 * `FILE:LINE:COL field.path`. `file` is how the user knows the file (the path
 * as given, or the URL).
 *
 * Hostile input is refused with a ConfigurationError, in time and memory
 * that grow linearly with the file: the size is checked before parsing,
 * duplicate keys are found with one set per map (the yaml library's own
 * check compares every pair of keys), and aliases may add at most
 * MAX_ALIAS_NODES nodes (a "billion laughs" file stops there). Maps become
 * objects without a prototype, so a key such as `constructor` or
 * `__proto__` is just a key.
 */
export class YamlSource {
  readonly doc: Document;
  readonly data: unknown;
  private readonly lines = new LineCounter();

  constructor(
    readonly file: string,
    readonly text: string,
    opts: YamlSourceOptions = {},
  ) {
    const max = opts.maxBytes ?? MAX_YAML_BYTES;
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > max) {
      throw new ConfigurationError(`${file}: ${opts.what ?? 'the file'} is ${sizeOf(bytes)}, over the limit of ${sizeOf(max)}; refused before parsing`);
    }
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: false, merge: false, strict: false });
    const err = this.doc.errors[0];
    if (err) {
      const pos = this.lines.linePos(err.pos[0]);
      let what = err.message.split('\n')[0].replace(/ at line \d+, column \d+.*$/, '');
      if (/Maximum call stack/.test(what)) what = 'nested too deeply';
      throw new ConfigurationError(`${file}:${pos.line}:${pos.col}: invalid YAML: ${what}`);
    }
    this.data = new Converter(this, !!opts.composeTags).value(this.doc.contents);
  }

  /** `FILE:LINE:COL` of a character offset. */
  at(offset: number): string {
    const { line, col } = this.lines.linePos(offset);
    return `${this.file}:${line}:${col}`;
  }

  /** The node at `path` (or its key's node), or the deepest existing node on the way. */
  private find(path: FieldPath, key: boolean): { node: Node | null; depth: number } {
    let node: unknown = this.doc.contents;
    let keyNode: unknown = null;
    let depth = 0;
    for (const seg of path) {
      let next: unknown;
      keyNode = null;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
        if (pair) {
          next = pair.value ?? pair.key;
          keyNode = pair.key;
        }
      } else if (isSeq(node) && typeof seg === 'number') {
        next = node.items[seg];
      }
      if (!next) break;
      node = next;
      depth++;
    }
    const found = key && depth === path.length && keyNode ? keyNode : node;
    return { node: (found as Node) ?? null, depth };
  }

  /** 1-based line and column of the value at `path` (or of its key). */
  pos(path: FieldPath, key = false): { line: number; col: number } {
    const { node } = this.find(path, key);
    const offset = node?.range?.[0] ?? 0;
    return this.lines.linePos(offset);
  }

  /** Does the document hold a value at `path`? */
  has(path: FieldPath): boolean {
    return this.find(path, false).depth === path.length;
  }

  /** `FILE:LINE:COL path` for a message; the location of the key when `key` is set. */
  where(path: FieldPath, key = false): string {
    const { line, col } = this.pos(path, key);
    const p = formatPath(path);
    return `${this.file}:${line}:${col}${p ? ' ' + p : ''}`;
  }

  /** A ConfigurationError `FILE:LINE:COL path: message`. */
  error(path: FieldPath, message: string, key = false): ConfigurationError {
    const { line, col } = this.pos(path, key);
    return new ConfigurationError(`${this.where(path, key)}: ${message}`, { file: this.file, line, col });
  }
}

/** Damerau-free Levenshtein distance, for "did you mean". */
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  for (let i = 1; i <= m; i++) {
    const cur = [i];
    for (let j = 1; j <= n; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[n];
}

/** The closest of `candidates` to `word`, when it is close enough to be a typo. */
export function didYouMean(word: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  const w = word.toLowerCase().replace(/_/g, '-');
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase().replace(/_/g, '-'));
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  if (best === null) return null;
  const limit = Math.max(2, Math.floor(word.length / 3));
  return bestD <= limit ? best : null;
}

function sizeOf(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : `${Math.ceil(n / 1024)} KiB`;
}

/**
 * The document as plain data: maps as prototype-less objects, `<<` merge
 * keys applied (YAML 1.1, as compose reads them), each key checked once
 * against a set, aliases expanded within a budget.
 */
class Converter {
  private aliasNodes = 0;
  /** Where the outermost alias being expanded is written. */
  private aliasAt = 0;
  private readonly active = new Set<unknown>();

  constructor(
    private readonly src: YamlSource,
    private readonly tags: boolean,
  ) {}

  private depth = 0;

  value(node: unknown, viaAlias = false): unknown {
    if (node === null || node === undefined) return null;
    if (this.depth > MAX_DEPTH) throw new ConfigurationError(`${this.src.at(this.offset(node))}: invalid YAML: nested more than ${MAX_DEPTH} levels deep`);
    this.depth++;
    try {
      return this.convert(node, viaAlias);
    } finally {
      this.depth--;
    }
  }

  private convert(node: unknown, viaAlias: boolean): unknown {
    if (viaAlias && ++this.aliasNodes > MAX_ALIAS_NODES) {
      throw new ConfigurationError(
        `${this.src.at(this.aliasAt)}: aliases expand to more than ${MAX_ALIAS_NODES} nodes (a YAML alias bomb?); refused`,
      );
    }
    if (isAlias(node)) {
      const target = node.resolve(this.src.doc);
      if (!target) throw new ConfigurationError(`${this.src.at(this.offset(node))}: unknown alias *${node.source}`);
      if (this.active.has(target)) throw new ConfigurationError(`${this.src.at(this.offset(node))}: alias *${node.source} refers to itself`);
      if (!viaAlias) this.aliasAt = this.offset(node);
      this.active.add(target);
      try {
        return this.value(target, true);
      } finally {
        this.active.delete(target);
      }
    }
    let out: unknown;
    if (isScalar(node)) out = node.value;
    else if (isSeq(node)) out = node.items.map((i) => this.value(i, viaAlias));
    else if (isMap(node)) out = this.map(node, viaAlias);
    else out = null;
    const tag = (node as Node).tag;
    if (this.tags && (tag === '!reset' || tag === '!override')) return new Tagged(tag, tag === '!reset' && isScalar(node) ? null : out);
    return out;
  }

  private offset(node: unknown): number {
    return (node as Node).range?.[0] ?? 0;
  }

  private map(node: { items: unknown[] }, viaAlias: boolean): Record<string, unknown> {
    const out: Record<string, unknown> = Object.create(null);
    const merges: unknown[] = [];
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const k = pair.key;
      if (isScalar(k) && k.value === '<<' && (k.source === '<<' || k.source === undefined) && !k.tag) {
        merges.push(pair.value);
        continue;
      }
      let key: string;
      if (k === null || k === undefined) key = '';
      else if (isScalar(k)) key = String(k.value);
      else throw new ConfigurationError(`${this.src.at(this.offset(k))}: expected a plain key, got a ${isMap(k) ? 'map' : isSeq(k) ? 'list' : 'complex key'}`);
      if (Object.hasOwn(out, key)) throw new ConfigurationError(`${this.src.at(this.offset(k))}: invalid YAML: duplicate key ${JSON.stringify(key)} (map keys must be unique)`);
      out[key] = this.value(pair.value, viaAlias);
    }
    // Merge keys: the map's own keys win, then earlier sources over later ones.
    for (const m of merges) {
      const sources = isSeq(m) ? m.items : [m];
      for (const s of sources) {
        const v = this.value(s, viaAlias);
        if (!v || typeof v !== 'object' || Array.isArray(v) || v instanceof Tagged) {
          throw new ConfigurationError(`${this.src.at(this.offset(s))}: "<<" expects a map or a list of maps`);
        }
        for (const [key, val] of Object.entries(v)) if (!Object.hasOwn(out, key)) out[key] = val;
      }
    }
    return out;
  }
}
