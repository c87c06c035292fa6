/**
 * The I/O of `delivery setup`: find the host installer files (install.sh,
 * rollout, the Traefik stack) next to the code, pack them, and run the
 * probe, the package install and the installer over one admin SSH
 * connection. The decisions are in src/core/setup.ts.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { create } from 'tar';
import { ConfigurationError } from '../core/errors';

/** The part of an SSH connection setup needs (src/ssh's HostConnection fits). */
export interface RemoteShell {
  run(
    words: readonly string[],
    options?: { stdin?: Buffer; onStderr?(line: string): void },
  ): Promise<{ exitCode: number | null; events: readonly { event: string; line?: string }[]; stderrTail: string[] }>;
}

export interface RemoteOutput {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The folder with install.sh and rollout: `override` (DELIVERY_HOST_FILES)
 * when given, else src/host of the checkout, found from the running code
 * (dist/cli/index.js and src/adapters/ sit two and one levels below it).
 */
export function hostFilesDir(override?: string, from: string = __dirname): string {
  const candidates = override ? [path.resolve(override)] : [['..', '..', 'src', 'host'], ['..', 'host']].map((p) => path.resolve(from, ...p));
  for (const dir of candidates) {
    if (existsSync(path.join(dir, 'install.sh')) && existsSync(path.join(dir, 'rollout'))) return dir;
  }
  throw new ConfigurationError(
    `the host installer (install.sh and rollout) is not in ${candidates.join(' or ')}; run delivery from a checkout of its repository, or set DELIVERY_HOST_FILES to its src/host folder`,
  );
}

function filesUnder(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(path.join(dir, rel)).sort()) {
    const p = rel ? `${rel}/${name}` : name;
    if (statSync(path.join(dir, p)).isDirectory()) out.push(...filesUnder(dir, p));
    else out.push(p);
  }
  return out;
}

/** A gzipped tar of the installer files (owner root, modes kept). */
export async function installerTarball(dir: string): Promise<Buffer> {
  const files = filesUnder(dir);
  const chunks: Buffer[] = [];
  const stream = create({ gzip: true, cwd: dir, portable: true, noMtime: true }, files);
  for await (const c of stream as AsyncIterable<Buffer>) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

/** Runs a shell command line as the admin; stdout and stderr come back whole. */
export async function runRemote(conn: RemoteShell, command: string, stdin?: Buffer, onStderr?: (line: string) => void): Promise<RemoteOutput> {
  const stderr: string[] = [];
  const r = await conn.run([command], {
    stdin,
    onStderr: (l) => {
      stderr.push(l);
      onStderr?.(l);
    },
  });
  const stdout = r.events.map((e) => (e.event === 'unknown' && typeof e.line === 'string' ? e.line : JSON.stringify(e))).join('\n');
  return { exitCode: r.exitCode, stdout, stderr: stderr.join('\n') };
}
