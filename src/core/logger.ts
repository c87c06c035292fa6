/**
 * The logger the core writes to. The core never imports @actions/core: the
 * CLI passes a console logger, the actions pass one that turns errors into
 * annotations and groups into `core.group`.
 */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  /** An error the user must see; in Actions it becomes an ::error annotation. */
  error(message: string): void;
  debug(message: string): void;
  /** Run `fn` inside a collapsible group (Actions) or under a heading (console). */
  group<T>(title: string, fn: () => Promise<T>): Promise<T>;
  /** Register a value that must never appear in the output. */
  secret(value: string): void;
}

/** A logger that remembers every line; for tests. */
export class MemoryLogger implements Logger {
  readonly lines: string[] = [];
  private readonly secrets: string[] = [];
  private mask(m: string): string {
    return this.secrets.reduce((s, v) => s.split(v).join('***'), m);
  }
  info(m: string) {
    this.lines.push(this.mask(m));
  }
  warn(m: string) {
    this.lines.push('warning: ' + this.mask(m));
  }
  error(m: string) {
    this.lines.push('error: ' + this.mask(m));
  }
  debug() {}
  async group<T>(title: string, fn: () => Promise<T>): Promise<T> {
    this.lines.push(`== ${title}`);
    return fn();
  }
  secret(v: string) {
    if (v) this.secrets.push(v);
  }
}
