import { isReleaseId } from './names';

/**
 * Release ids sort by time and are unique: `YYYYMMDDTHHMMSSZ-<sha7>`.
 * Without a git sha the suffix is 7 random hex digits (given by the caller,
 * so this stays pure).
 */
export function makeReleaseId(time: Date, gitSha: string | null | undefined, randomHex?: string): string {
  const stamp = time.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
  let suffix: string;
  if (gitSha && /^[0-9a-f]{7,64}$/i.test(gitSha)) suffix = gitSha.slice(0, 7).toLowerCase();
  else suffix = (randomHex ?? '0000000').slice(0, 7).toLowerCase();
  return `${stamp}-${suffix}`;
}

/** `SOURCE_DATE_EPOCH` (seconds) as a Date, or undefined when unset. Throws on garbage. */
export function sourceDateEpoch(env: NodeJS.ProcessEnv): Date | undefined {
  const v = env.SOURCE_DATE_EPOCH;
  if (v === undefined || v === '') return undefined;
  if (!/^\d{1,12}$/.test(v)) throw new Error(`SOURCE_DATE_EPOCH must be whole seconds since 1970, got ${JSON.stringify(v)}`);
  return new Date(Number(v) * 1000);
}

export function releaseIdProblem(id: string): string | null {
  return isReleaseId(id) ? null : `release id ${JSON.stringify(id)} must match [0-9A-Za-z._-]{1,64} and not start with "."`;
}
