import { readFile, stat } from 'node:fs/promises';
import https from 'node:https';
import path from 'node:path';
import { mergeHosts, parseCluster } from '../core/cluster';
import type { Deliveryfile } from '../core/deliveryfile';
import { clusterRefOf, type ClusterRef } from '../core/deliveryfile-peek';
import { ConfigurationError, errorMessage } from '../core/errors';
import type { Logger } from '../core/logger';
import type { HostSpec } from '../core/types';
import { YamlSource } from '../core/yaml-source';

/**
 * Resolves an environment's `cluster:` entries to hosts: paths (relative to
 * the Deliveryfile), https:// URLs (optional bearer token, connect and read
 * timeouts, retries with backoff) and inline `{hosts: […]}`. Entries merge in
 * order and are de-duplicated; no host at all is an error naming the sources.
 */

export interface FetchOptions {
  /** Bearer token for every https:// cluster URL; never logged. */
  token?: string;
  /** Milliseconds to establish the TLS connection (default 10 s). */
  connectTimeoutMs?: number;
  /** Milliseconds from connected to the whole body read (default 15 s). */
  readTimeoutMs?: number;
  /** Retries after the first attempt, for network errors, timeouts, 429 and 5xx (default 3). */
  retries?: number;
  /** First backoff in milliseconds; doubled on each retry (default 500). */
  backoffMs?: number;
  /** Largest cluster file accepted (default 1 MiB). */
  maxBytes?: number;
  logger?: Logger;
}

/** The URL as shown in messages: no user info, no query values (they may hold tokens). */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    for (const k of [...u.searchParams.keys()]) u.searchParams.set(k, '…');
    return u.toString();
  } catch {
    return url;
  }
}

class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function getOnce(url: string, opts: Required<Pick<FetchOptions, 'connectTimeoutMs' | 'readTimeoutMs' | 'maxBytes'>> & { token?: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { accept: 'application/yaml, text/yaml, text/plain, */*', 'user-agent': 'delivery' };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const done = (err: Error | null, text?: string) => {
      if (settled) return;
      settled = true;
      timers.forEach(clearTimeout);
      if (err) {
        req.destroy();
        reject(err);
      } else resolve(text!);
    };
    const req = https.request(url, { method: 'GET', headers }, (res) => {
      const status = res.statusCode ?? 0;
      if (status < 200 || status >= 300) {
        res.resume();
        const loc = status >= 300 && status < 400 && res.headers.location ? ` (redirects to ${displayUrl(res.headers.location)}; give that URL)` : '';
        done(new HttpStatusError(status, `HTTP ${status} ${res.statusMessage ?? ''}`.trim() + loc));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > opts.maxBytes) done(new HttpStatusError(0, `the response is larger than ${opts.maxBytes} bytes`));
        else chunks.push(c);
      });
      res.on('end', () => done(null, Buffer.concat(chunks).toString('utf8')));
      res.on('error', (e) => done(e));
      res.on('aborted', () => done(new Error('the connection closed before the whole response arrived')));
    });
    timers.push(setTimeout(() => done(new Error(`no connection within ${opts.connectTimeoutMs / 1000}s`)), opts.connectTimeoutMs));
    req.on('socket', (socket) => {
      socket.once('secureConnect', () => {
        clearTimeout(timers[0]);
        timers.push(setTimeout(() => done(new Error(`no complete response within ${opts.readTimeoutMs / 1000}s`)), opts.readTimeoutMs));
      });
    });
    req.on('error', (e) => done(e));
    req.end();
  });
}

function retryable(err: unknown): boolean {
  if (err instanceof HttpStatusError) return err.status === 408 || err.status === 429 || err.status >= 500;
  return true; // network errors and timeouts
}

/** GETs an https:// URL with timeouts and retries; the message of a failure names the URL and the HTTP status. */
export async function fetchText(url: string, opts: FetchOptions = {}): Promise<string> {
  const o = {
    connectTimeoutMs: opts.connectTimeoutMs ?? 10_000,
    readTimeoutMs: opts.readTimeoutMs ?? 15_000,
    maxBytes: opts.maxBytes ?? 1024 * 1024,
    token: opts.token,
  };
  const retries = opts.retries ?? 3;
  let backoff = opts.backoffMs ?? 500;
  for (let attempt = 1; ; attempt++) {
    try {
      return await getOnce(url, o);
    } catch (err) {
      const m = errorMessage(err);
      if (!retryable(err) || attempt > retries) {
        const tries = attempt > 1 ? ` (after ${attempt} attempts)` : '';
        throw new ConfigurationError(`cluster ${displayUrl(url)}: ${m}${tries}`);
      }
      opts.logger?.warn(`cluster ${displayUrl(url)}: ${m}; retrying in ${backoff / 1000}s (attempt ${attempt + 1} of ${retries + 1})`);
      await new Promise((r) => setTimeout(r, backoff));
      backoff *= 2;
    }
  }
}

export interface ResolveOptions extends FetchOptions {
  /** Folder of the Deliveryfile: cluster paths are relative to it (default: the folder of `df.file`). */
  baseDir?: string;
}

/** The hosts of environment `env`, merged and de-duplicated in order. */
export async function resolveHosts(df: Deliveryfile, env: string, opts: ResolveOptions = {}): Promise<HostSpec[]> {
  return resolveCluster(clusterRefOf(df, env), opts);
}

/** The hosts of a cluster reference (the validated file's, or peekFleet's), merged and de-duplicated in order. */
export async function resolveCluster(ref: ClusterRef, opts: ResolveOptions = {}): Promise<HostSpec[]> {
  const { entries, env, defaultPort, source } = ref;
  const baseDir = opts.baseDir ?? path.dirname(path.resolve(ref.file));
  const lists: HostSpec[][] = [];
  const sources: string[] = [];
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i];
    const at = ['environments', env, 'cluster', i] as const;
    if (typeof entry === 'string') {
      const s = entry.trim();
      if (/^https:\/\//i.test(s)) {
        sources.push(displayUrl(s));
        let text: string;
        try {
          text = await fetchText(s, opts);
        } catch (err) {
          throw source.error(at, errorMessage(err));
        }
        lists.push(parseCluster(new YamlSource(displayUrl(s), text), { defaultPort }));
      } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) {
        throw source.error(at, `only https:// cluster URLs are fetched (a host list decides where code runs), got ${JSON.stringify(s)}`);
      } else {
        const file = path.resolve(baseDir, s);
        const shown = path.relative(process.cwd(), file) || file;
        sources.push(shown);
        let text: string;
        try {
          if (!(await stat(file)).isFile()) throw Object.assign(new Error(), { code: 'EISDIR' });
          text = await readFile(file, 'utf8');
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          throw source.error(at, code === 'ENOENT' ? `file not found: ${s} (paths are relative to the Deliveryfile's folder)` : `cannot read ${s} (${code ?? errorMessage(err)})`);
        }
        lists.push(parseCluster(new YamlSource(shown, text), { defaultPort }));
      }
    } else if (entry && typeof entry === 'object' && !Array.isArray(entry)) {
      sources.push(`${ref.file} (inline)`);
      lists.push(parseCluster(source, { path: [...at], value: entry, source: `${ref.file} (inline)`, defaultPort }));
    } else {
      throw source.error(at, 'expected a cluster file path, an https:// URL, or inline {hosts: […]}');
    }
  }
  const hosts = mergeHosts(lists);
  if (hosts.length === 0) {
    throw source.error(['environments', env, 'cluster'], `the cluster resolves to no host (sources: ${sources.join(', ')}); add hosts to it`);
  }
  return hosts;
}
