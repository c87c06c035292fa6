/**
 * The Actions implementation of the core's Logger: groups are
 * `core.group`, errors are `::error` annotations, warnings `::warning`,
 * and every secret goes to `core.setSecret` (the runner masks it) and is
 * masked here as well, so nothing this process prints carries it even
 * outside a runner. (@actions/core through ./toolkit.)
 */
import type { Logger } from '../core/logger';
import { toolkit } from './toolkit';

const core = toolkit();

export class ActionsLogger implements Logger {
  private readonly secrets: string[] = [];

  mask(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join('***');
    return out;
  }
  info(m: string) {
    core.info(this.mask(m));
  }
  warn(m: string) {
    core.warning(this.mask(m));
  }
  error(m: string) {
    core.error(this.mask(m));
  }
  debug(m: string) {
    core.debug(this.mask(m));
  }
  group<T>(title: string, fn: () => Promise<T>): Promise<T> {
    return core.group(this.mask(title), fn);
  }
  secret(v: string) {
    // The value and each of its lines: a key is multi-line, and the runner masks line by line.
    for (const part of new Set([v, ...v.split(/\r?\n/)])) {
      const p = part.trim();
      if (p.length < 4 || this.secrets.includes(p)) continue;
      core.setSecret(p);
      this.secrets.push(p);
    }
    // Longest first, so a line of a key is masked as part of the whole key.
    this.secrets.sort((a, b) => b.length - a.length);
  }
}
