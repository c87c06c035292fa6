/**
 * Previews as data: which pull request a run is about, which preview apps
 * are stale, the PR comment. Pure; the GitHub API and the hosts are the
 * adapters' job. The preview's application name (`group/app-pr-N`), route
 * and URL come from the Deliveryfile's preview template
 * (src/core/release-inputs.ts: previewApplication, previewUrl).
 */
import { ConfigurationError } from './errors';

/** `0`, `90s`, `30m`, `12h`, `7d`, `2w` → seconds. */
export function parseDuration(text: string, where = 'cleanup-older-than'): number {
  const m = /^\s*([0-9]{1,6})\s*([smhdw]?)\s*$/.exec(text);
  if (!m) throw new ConfigurationError(`${where}: expected a duration such as 0, 12h or 7d, got ${JSON.stringify(text)}`);
  const mult = { '': 1, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 }[m[2] as '' | 's' | 'm' | 'h' | 'd' | 'w'];
  if (m[2] === '' && m[1] !== '0') throw new ConfigurationError(`${where}: give a unit (s, m, h, d, w), e.g. ${m[1]}d`);
  return Number(m[1]) * mult;
}

/** The time in a release id `YYYYMMDDTHHMMSSZ-…`, or null for ids given by hand. */
export function releaseTime(id: string | null | undefined): Date | null {
  const m = id ? /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/.exec(id) : null;
  if (!m) return null;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
  return Number.isNaN(d.getTime()) ? null : d;
}

/** N when `app` is `base-pr-N` (`group/app-pr-12` for `group/app`), else null. */
export function previewNumberOf(app: string, base: string): number | null {
  if (!app.startsWith(`${base}-pr-`)) return null;
  const rest = app.slice(base.length + 4);
  return /^[1-9][0-9]{0,9}$/.test(rest) ? Number(rest) : null;
}

export interface ListedApp {
  app: string;
  current: string | null;
}

/**
 * Previews to remove: apps `base-pr-N` on any host whose PR is not open and
 * whose current release is at least `olderThanSeconds` old (a release id
 * without a time counts as old). `keep` is never removed (this run's PR).
 */
export function stalePreviews(
  apps: ListedApp[],
  base: string,
  isOpen: (n: number) => boolean,
  now: Date,
  olderThanSeconds: number,
  keep: number | null,
): { app: string; number: number; release: string | null }[] {
  const byApp = new Map<string, { number: number; newest: Date | null; release: string | null }>();
  for (const a of apps) {
    const n = previewNumberOf(a.app, base);
    if (n === null || n === keep) continue;
    const t = releaseTime(a.current);
    const seen = byApp.get(a.app);
    // Across hosts, the newest release decides the age.
    if (!seen) byApp.set(a.app, { number: n, newest: t, release: a.current });
    else if (t && (!seen.newest || t > seen.newest)) byApp.set(a.app, { number: n, newest: t, release: a.current });
  }
  const out: { app: string; number: number; release: string | null }[] = [];
  for (const [app, v] of [...byApp].sort((a, b) => a[1].number - b[1].number)) {
    if (isOpen(v.number)) continue;
    const age = v.newest ? (now.getTime() - v.newest.getTime()) / 1000 : Infinity;
    if (age >= olderThanSeconds) out.push({ app, number: v.number, release: v.release });
  }
  return out;
}

/** The pull request number and action of a `pull_request`/`pull_request_target` event payload. */
export function pullRequestOf(event: Record<string, unknown> | null): { number: number; action: string | null; sha: string | null } | null {
  const ev = (event ?? {}) as { action?: string; number?: number; pull_request?: { number?: number; head?: { sha?: string } } };
  const n = ev.pull_request?.number ?? ev.number;
  if (typeof n !== 'number') return null;
  return { number: n, action: ev.action ?? null, sha: ev.pull_request?.head?.sha ?? null };
}

/** The hidden marker that finds our comment again. */
export function commentMarker(application: string): string {
  return `<!-- delivery-preview: ${application} -->`;
}

export function previewComment(o: {
  base: string;
  application: string;
  url: string | null;
  release: string | null;
  sha: string | null;
  removed?: boolean;
}): string {
  const lines = [commentMarker(o.base)];
  if (o.removed) {
    lines.push(`**Preview removed**: \`${o.application}\` is gone from QA (the pull request was closed).`);
  } else {
    lines.push(`**Preview deployed**: ${o.url ? `[${o.url}](${o.url})` : `\`${o.application}\``}`, '');
    lines.push('| app | release | commit |', '| --- | --- | --- |');
    lines.push(`| \`${o.application}\` | \`${o.release ?? ''}\` | ${o.sha ? `\`${o.sha.slice(0, 7)}\`` : ''} |`);
  }
  return lines.join('\n') + '\n';
}
