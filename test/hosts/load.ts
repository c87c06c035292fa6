/**
 * Keep-alive load on loopback URLs, bounded in time and count: N loops,
 * each on its own keep-alive connection, GET one after another until
 * stopped, after maxSeconds, or after maxRequests. A request fails on an
 * error, a non-2xx answer, or no answer within 5 s.
 */
import http from 'node:http';

export interface LoadResult {
  requests: number;
  failures: number;
  /** "STATUS body" or the error, with counts, for failure messages */
  failed: Record<string, number>;
  bodies: Record<string, number>;
}

export function startLoad(urls: string[], o: { connections?: number; maxSeconds?: number; maxRequests?: number } = {}): { stop(): Promise<LoadResult> } {
  for (const u of urls) if (!new URL(u).hostname.startsWith('127.')) throw new Error(`load: loopback addresses only, not ${u}`);
  const r: LoadResult = { requests: 0, failures: 0, failed: {}, bodies: {} };
  const bump = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1);
  let stopping = false;
  const maxRequests = o.maxRequests ?? 200_000;
  const timer = setTimeout(() => (stopping = true), (o.maxSeconds ?? 600) * 1000);
  const once = (agent: http.Agent, url: string) =>
    new Promise<void>((resolve) => {
      const fail = (what: string) => {
        r.requests++;
        r.failures++;
        bump(r.failed, what);
        resolve();
      };
      const req = http.get(url, { agent, timeout: 5000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (body += c));
        res.on('end', () => {
          const code = res.statusCode ?? 0;
          if (code < 200 || code > 299) return fail(`${url} ${code} ${body.trim().slice(0, 60)}`);
          r.requests++;
          bump(r.bodies, body.trim().slice(0, 40));
          resolve();
        });
        res.on('error', (e) => fail(`${url} ${e.message}`));
      });
      req.on('timeout', () => req.destroy(new Error('no answer within 5 s')));
      req.on('error', (e: NodeJS.ErrnoException) => fail(`${url} ${e.code ?? ''} ${e.message}`));
    });
  const loops: Promise<void>[] = [];
  for (const url of urls) {
    for (let c = 0; c < (o.connections ?? 2); c++) {
      loops.push(
        (async () => {
          const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
          while (!stopping && r.requests < maxRequests) {
            await once(agent, url);
            await new Promise((res) => setTimeout(res, 5));
          }
          agent.destroy();
        })(),
      );
    }
  }
  return {
    async stop() {
      stopping = true;
      clearTimeout(timer);
      await Promise.all(loops);
      return r;
    },
  };
}
