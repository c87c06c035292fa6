/**
 * The few GitHub REST calls previews need: find/create/update our PR
 * comment, and whether a PR is still open. The API root is GITHUB_API_URL
 * (GitHub Enterprise, and tests with a local server), default
 * https://api.github.com.
 */
import { DeliveryError, ExitCode } from '../core/errors';
import type { Logger } from '../core/logger';

export class GitHubApi {
  private readonly root: string;
  constructor(
    private readonly token: string,
    private readonly repository: string,
    apiUrl: string | undefined,
    private readonly logger: Logger,
    private readonly timeoutMs = 15_000,
  ) {
    if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repository)) {
      throw new DeliveryError(`repository: expected owner/repo, got ${JSON.stringify(repository)}`, ExitCode.Refused);
    }
    this.root = (apiUrl || 'https://api.github.com').replace(/\/+$/, '');
    logger.secret(token);
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
    this.logger.debug(`GitHub API: ${method} ${path}`);
    const res = await fetch(`${this.root}${path}`, {
      method,
      headers: {
        accept: 'application/vnd.github+json',
        authorization: `Bearer ${this.token}`,
        'x-github-api-version': '2022-11-28',
        'user-agent': 'delivery',
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await res.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    return { status: res.status, json: json as T };
  }

  /** PR state: 'open', 'closed', or null when the API does not know it (404). */
  async pullState(n: number): Promise<'open' | 'closed' | null> {
    const r = await this.call<{ state?: string }>('GET', `/repos/${this.repository}/pulls/${n}`);
    if (r.status === 404) return null;
    if (r.status !== 200) throw new DeliveryError(`GitHub API: GET pull ${n}: HTTP ${r.status}`, ExitCode.Failed);
    return r.json?.state === 'open' ? 'open' : 'closed';
  }

  /** Creates our comment on PR n, or updates the one carrying `marker`. Returns its URL. */
  async upsertComment(n: number, marker: string, body: string): Promise<{ id: number; url: string | null; updated: boolean }> {
    let existing: { id: number } | undefined;
    for (let page = 1; page <= 10 && !existing; page++) {
      const r = await this.call<{ id: number; body?: string }[]>('GET', `/repos/${this.repository}/issues/${n}/comments?per_page=100&page=${page}`);
      if (r.status !== 200) throw new DeliveryError(`GitHub API: list comments of #${n}: HTTP ${r.status}; does the token have pull-requests: write?`, ExitCode.Failed);
      const list = Array.isArray(r.json) ? r.json : [];
      existing = list.find((c) => typeof c.body === 'string' && c.body.includes(marker));
      if (list.length < 100) break;
    }
    const r = existing
      ? await this.call<{ id: number; html_url?: string }>('PATCH', `/repos/${this.repository}/issues/comments/${existing.id}`, { body })
      : await this.call<{ id: number; html_url?: string }>('POST', `/repos/${this.repository}/issues/${n}/comments`, { body });
    if (r.status !== 200 && r.status !== 201) {
      throw new DeliveryError(`GitHub API: ${existing ? 'update' : 'create'} comment on #${n}: HTTP ${r.status}`, ExitCode.Failed);
    }
    return { id: r.json.id, url: r.json.html_url ?? null, updated: !!existing };
  }
}
