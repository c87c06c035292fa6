/** The final table of a fleet run (and `status`/`releases`), as text. */
import type { FleetReport } from './executor';

export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : (c ?? '').padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [fmt(headers), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt)].join('\n');
}

const dash = (v: string | null | undefined) => (v === null || v === undefined || v === '' ? '-' : v);

export function formatReport(r: FleetReport): string {
  const lines: string[] = [];
  if (r.verb === 'status' && r.details) {
    lines.push(
      table(
        ['host', 'result', 'current', 'previous', 'color', 'containers', 'last run', 'lock', 'error'],
        r.hosts.map((h) => {
          const d = r.details?.[h.host];
          const containers = (d?.containers ?? []).map((c) => `${c.service ?? '?'}:${c.health || c.state || '?'}`).join(',');
          const last = d?.last;
          const lock = d?.lock;
          return [
            h.host,
            h.result,
            dash(d?.current),
            dash(d?.previous),
            dash(d?.color),
            dash(containers),
            last ? `${last.release ?? '?'} ${last.result ?? ''}`.trim() : '-',
            lock ? `${lock.release ?? '?'} (pid ${lock.pid ?? '?'})` : '-',
            dash(h.error),
          ];
        }),
      ),
    );
  } else if (r.verb === 'releases' && r.details) {
    lines.push(
      table(
        ['host', 'result', 'current', 'releases (newest first)', 'error'],
        r.hosts.map((h) => {
          const d = r.details?.[h.host];
          return [h.host, h.result, dash(h.before), dash((d?.releases ?? []).map((x) => x.id).join(' ')), dash(h.error)];
        }),
      ),
    );
  } else {
    lines.push(
      table(
        ['host', 'result', 'before', 'after', 'seconds', 'error'],
        r.hosts.map((h) => [h.host, h.result, dash(h.before), dash(h.after), h.seconds.toFixed(1), dash(h.error)]),
      ),
    );
  }
  lines.push('', `${r.verb} ${r.application}${r.environment ? ` (${r.environment})` : ''}: ${r.summary} [exit ${r.exitCode}]`);
  return lines.join('\n') + '\n';
}
