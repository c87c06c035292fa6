import { LineCounter, isMap, isPair, isScalar, isSeq, parseDocument, type Document, type Node } from 'yaml';
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

/**
 * A YAML file with positions: every message about a field names
 * `FILE:LINE:COL field.path`. `file` is how the user knows the file (the path
 * as given, or the URL).
 */
export class YamlSource {
  readonly doc: Document;
  readonly data: unknown;
  private readonly lines = new LineCounter();

  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: true, merge: true });
    const err = this.doc.errors[0];
    if (err) {
      const pos = this.lines.linePos(err.pos[0]);
      const what = err.message.split('\n')[0].replace(/ at line \d+, column \d+.*$/, '');
      throw new ConfigurationError(`${file}:${pos.line}:${pos.col}: invalid YAML: ${what}`, { file, line: pos.line, col: pos.col });
    }
    this.data = this.doc.toJS({ maxAliasCount: 100 });
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
