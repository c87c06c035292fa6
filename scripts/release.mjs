// The release checks the release workflow runs (README, "Releases").
//   node scripts/release.mjs check vX.Y.Z   the tag is package.json's version, CHANGELOG.md has its section
//   node scripts/release.mjs notes vX.Y.Z   print that section (the GitHub release notes)
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = process.env.DELIVERY_RELEASE_ROOT ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The body of `## [X.Y.Z]` in the changelog, up to the next `## ` heading, or null. */
export function changelogSection(text, version) {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => new RegExp(`^## \\[?${version.replace(/\./g, '\\.')}\\]?(\\s|$)`).test(l));
  if (start < 0) return null;
  let end = lines.findIndex((l, i) => i > start && /^## /.test(l));
  if (end < 0) end = lines.length;
  const body = lines.slice(start + 1, end).join('\n').trim();
  return body || null;
}

/** Problems that stop a release of `tag`; empty when it may go out. */
export function releaseProblems(tag, pkgVersion, changelog) {
  const m = /^v([0-9]+\.[0-9]+\.[0-9]+)$/.exec(tag ?? '');
  if (!m) return [`tag ${JSON.stringify(tag)}: expected vX.Y.Z (a semantic version), e.g. v1.2.3`];
  const problems = [];
  if (m[1] !== pkgVersion) problems.push(`tag ${tag} is not package.json's version ${pkgVersion}: set "version": "${m[1]}" (npm version ${m[1]} --no-git-tag-version) and commit, or tag v${pkgVersion}`);
  if (!changelogSection(changelog, m[1])) problems.push(`CHANGELOG.md has no section "## [${m[1]}]" (with text) for the release notes`);
  return problems;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [cmd, tag] = process.argv.slice(2);
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  const changelog = readFileSync(path.join(root, 'CHANGELOG.md'), 'utf8');
  if (cmd === 'check') {
    const problems = releaseProblems(tag, pkg.version, changelog);
    for (const p of problems) console.error(`::error::${p}`);
    if (problems.length) process.exit(1);
    console.log(`release ${tag}: package.json and CHANGELOG.md agree`);
  } else if (cmd === 'notes') {
    const section = changelogSection(changelog, String(tag).replace(/^v/, ''));
    if (!section) {
      console.error(`::error::CHANGELOG.md has no section for ${tag}`);
      process.exit(1);
    }
    process.stdout.write(section + '\n');
  } else {
    console.error('usage: node scripts/release.mjs check|notes vX.Y.Z');
    process.exit(2);
  }
}
