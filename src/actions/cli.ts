/**
 * Runs a CLI command in this process with the action's inputs as its
 * DELIVERY_* environment and `--json`, so the action does exactly what
 * `delivery COMMAND` does, then turns the JSON result into outputs, the job
 * summary and annotations.
 */
import { Writable } from 'node:stream';
import * as core from '@actions/core';
import { main } from '../cli/main';
import type { ActionsLogger } from './logger';
import { cliEnv } from './context';
import { writeSummary, type SummaryRow } from './run';

export interface HostOutcome {
  host: string;
  result: string;
  ok: boolean;
  release: string | null;
  previous: string | null;
  seconds: number | null;
  error: string | null;
}

export interface CliRun {
  code: number;
  json: unknown;
  stdout: string;
}

export async function runCliCommand(
  args: string[],
  inputs: Record<string, string | boolean | undefined>,
  logger: ActionsLogger,
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<CliRun> {
  let stdout = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      stdout += chunk.toString('utf8');
      cb();
    },
  });
  const env = { ...cliEnv(inputs, process.env), ...extraEnv };
  const code = await main([...args, '--json'], { env, logger, stdout: sink });
  let json: unknown = null;
  const text = stdout.trim();
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      // Not one JSON document: take the last line that is.
      for (const line of text.split('\n').reverse()) {
        try {
          json = JSON.parse(line);
          break;
        } catch {
          /* next */
        }
      }
    }
  }
  return { code, json, stdout };
}

type Loose = Record<string, unknown>;
const s = (v: unknown): string | null => (typeof v === 'string' && v ? v : typeof v === 'number' ? String(v) : null);

/** Per-host outcomes from the CLI's JSON result (tolerant of the field names). */
export function hostOutcomes(json: unknown): HostOutcome[] {
  const o = (json ?? {}) as Loose;
  const list = (Array.isArray(o.hosts) ? o.hosts : Array.isArray(o.results) ? o.results : Array.isArray(json) ? json : []) as Loose[];
  return list
    .filter((h) => h && typeof h === 'object')
    .map((h) => {
      const host = s(h.host) ?? s(h.name) ?? (h.host && typeof h.host === 'object' ? s((h.host as Loose).name) : null) ?? '?';
      const ok = typeof h.ok === 'boolean' ? h.ok : /^(ok|switched|unchanged)$/.test(String(h.result ?? h.status ?? ''));
      return {
        host,
        ok,
        result: s(h.result) ?? s(h.status) ?? (ok ? 'ok' : 'failed'),
        release: s(h.release) ?? s(h.after) ?? s(h.current),
        previous: s(h.previous) ?? s(h.before),
        seconds: typeof h.seconds === 'number' ? h.seconds : null,
        error: s(h.error),
      };
    });
}

export function releaseOf(json: unknown, hosts: HostOutcome[]): string {
  const o = (json ?? {}) as Loose;
  return s(o.release) ?? hosts.find((h) => h.ok && h.release)?.release ?? '';
}

/** Outputs `release`, `hosts`, `result`; an ::error per failed host; the job summary. */
export async function reportFleetRun(title: string, run: CliRun, logger: ActionsLogger, extraFacts: [string, string][] = []): Promise<{ release: string; hosts: HostOutcome[] }> {
  const hosts = hostOutcomes(run.json);
  const release = releaseOf(run.json, hosts);
  core.setOutput('release', release);
  core.setOutput('hosts', JSON.stringify(hosts.map((h) => h.host)));
  core.setOutput('result', logger.mask(JSON.stringify(hosts)));
  for (const h of hosts) if (!h.ok) logger.error(`host ${h.host}: ${h.result}${h.error ? `: ${h.error}` : ''}`);
  const rows: SummaryRow[] = hosts.map((h) => ({
    host: h.host,
    result: h.result,
    release: h.release ?? '',
    seconds: h.seconds === null ? '' : h.seconds.toFixed(1),
  }));
  await writeSummary(logger, `${title}${run.code === 0 ? '' : ` failed (exit ${run.code})`}`, [['release', release || '(none)'], ...extraFacts], rows);
  return { release, hosts };
}
