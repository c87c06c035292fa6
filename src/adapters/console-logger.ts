import type { Logger } from '../core/logger';

/** The CLI's logger: progress and messages on stderr, masked secrets. */
export class ConsoleLogger implements Logger {
  private readonly secrets: string[] = [];
  constructor(
    private readonly out: NodeJS.WritableStream = process.stderr,
    private readonly verbose = process.env.DELIVERY_DEBUG === '1',
  ) {}
  private write(line: string) {
    let masked = line;
    for (const s of this.secrets) masked = masked.split(s).join('***');
    this.out.write(masked + '\n');
  }
  info(m: string) {
    this.write(m);
  }
  warn(m: string) {
    this.write(`warning: ${m}`);
  }
  error(m: string) {
    this.write(`error: ${m}`);
  }
  debug(m: string) {
    if (this.verbose) this.write(`debug: ${m}`);
  }
  async group<T>(title: string, fn: () => Promise<T>): Promise<T> {
    this.write(`==> ${title}`);
    return fn();
  }
  secret(v: string) {
    // Mask the value and each of its lines (a key is multi-line).
    for (const part of [v, ...v.split('\n')]) {
      if (part.trim().length >= 4) this.secrets.push(part);
    }
  }
}
