import { execFile } from 'node:child_process';

/**
 * The commit being deployed: GITHUB_SHA/GITHUB_REF (Actions), GIT_COMMIT/
 * GIT_BRANCH (Jenkins), else `git rev-parse` in `dir`; nulls when unknown.
 * The two git commands run side by side and beside the caller's own work
 * (loadPlan starts this first and awaits it last).
 */
export async function detectGit(dir: string, env: NodeJS.ProcessEnv = process.env): Promise<{ sha: string | null; ref: string | null }> {
  const jenkinsRef = env.GIT_BRANCH ? `refs/heads/${env.GIT_BRANCH.replace(/^origin\//, '')}` : null;
  const [sha, ref] = await Promise.all([
    env.GITHUB_SHA || env.GIT_COMMIT || git(dir, ['rev-parse', 'HEAD']),
    env.GITHUB_REF || jenkinsRef || git(dir, ['symbolic-ref', '-q', 'HEAD']),
  ]);
  return { sha: sha && /^[0-9a-f]{7,64}$/i.test(sha) ? sha.toLowerCase() : null, ref: ref || null };
}

function git(dir: string, args: string[]): Promise<string | null> {
  return new Promise((resolve) => {
    const child = execFile('git', args, { cwd: dir, encoding: 'utf8', timeout: 5000 }, (err, stdout) => resolve(err ? null : stdout.trim() || null));
    child.stdin?.end();
  });
}
