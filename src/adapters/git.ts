import { execFileSync } from 'node:child_process';

/**
 * The commit being deployed: GITHUB_SHA/GITHUB_REF (Actions), GIT_COMMIT/
 * GIT_BRANCH (Jenkins), else `git rev-parse` in `dir`; nulls when unknown.
 */
export function detectGit(dir: string, env: NodeJS.ProcessEnv = process.env): { sha: string | null; ref: string | null } {
  const sha = env.GITHUB_SHA || env.GIT_COMMIT || git(dir, ['rev-parse', 'HEAD']);
  const ref = env.GITHUB_REF || (env.GIT_BRANCH ? `refs/heads/${env.GIT_BRANCH.replace(/^origin\//, '')}` : null) || git(dir, ['symbolic-ref', '-q', 'HEAD']);
  return { sha: sha && /^[0-9a-f]{7,64}$/i.test(sha) ? sha.toLowerCase() : null, ref: ref || null };
}

function git(dir: string, args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim() || null;
  } catch {
    return null;
  }
}
