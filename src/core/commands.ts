/**
 * The exact words of every remote verb (docs/protocol.md, "Commands"), as
 * Kamal's `commands/` builders: pure functions returning arrays of words,
 * never touching the network. The plan puts them in its steps; the fleet
 * executor runs the words it is given; `delivery plan` and `--dry-run`
 * print them. To add a verb: a builder here, its exact-word test in
 * test/unit/commands.test.ts, and the host side in src/host/rollout.
 */
import type { Verb } from './wire';

/** Options every switching verb (deploy, rollback) takes. */
export interface RunOptions {
  /** Seconds the host may take before it rolls itself back (`--deadline`). */
  deadline?: number;
}

/** `rollout <verb> …`: the words start with the program so the seed's form (without it) stays the host's business. */
type Words = ['rollout', Verb, ...string[]];

function deadlineWords(deadline: number | undefined): string[] {
  return deadline === undefined ? [] : ['--deadline', String(Math.max(1, Math.ceil(deadline)))];
}

/** `rollout deploy G/A --release ID [--dry-run] [--deadline S]` (the bundle goes on stdin). */
export function deployWords(application: string, release: string, opts: RunOptions & { dryRun?: boolean } = {}): Words {
  return ['rollout', 'deploy', application, '--release', release, ...(opts.dryRun ? ['--dry-run'] : []), ...deadlineWords(opts.deadline)];
}

/**
 * `rollout rollback G/A [--to ID] [--deadline S] [--confirm]`; without `to`
 * the host's previous release. `--confirm`: the host answers as preflight
 * first (a `prepared` event, lock held) and switches only on `go RELEASE`
 * on stdin (the fleet's rollback: its preflight on the same channel).
 */
export function rollbackWords(application: string, to: string | null, opts: RunOptions & { confirm?: boolean } = {}): Words {
  return ['rollout', 'rollback', application, ...(to ? ['--to', to] : []), ...deadlineWords(opts.deadline), ...(opts.confirm ? ['--confirm'] : [])];
}

export function statusWords(application: string): Words {
  return ['rollout', 'status', application];
}

export function releasesWords(application: string): Words {
  return ['rollout', 'releases', application];
}

/** `rollout list GROUP`: the apps of one group on the host. */
export function listWords(group: string): Words {
  return ['rollout', 'list', group];
}

export function removeWords(application: string): Words {
  return ['rollout', 'remove', application];
}

export function versionWords(): Words {
  return ['rollout', 'version'];
}

/**
 * `rollout preflight G/A [--releases]`: what a switch asks every host first
 * (version, router, current/previous release, lock; with `releases` the kept
 * releases) in one round trip. A rollout older than the verb refuses it as
 * unknown; the fleet then asks `version`, `status` and `releases` instead.
 */
export function preflightWords(application: string, opts: { releases?: boolean } = {}): Words {
  return ['rollout', 'preflight', application, ...(opts.releases ? ['--releases'] : [])];
}

/** The words shown to a person (`delivery plan`, messages): one line. */
export function commandLine(words: readonly string[]): string {
  return words.join(' ');
}
