import { describe, expect, it, test } from 'vitest';
import {
  buildPushCommands,
  digestFromPushOutput,
  gitContextFromEnv,
  registryOf,
  tagOfBranch,
  type BuildPushInputs,
  type GitContext,
} from '../../src/core/build';
import { ConfigurationError } from '../../src/core/errors';

const SHA = '0123456789abcdef0123456789abcdef01234567';
const created = new Date('2026-11-26T14:00:00Z');
const base: BuildPushInputs = {
  image: '127.0.0.1:5000/group/app',
  context: '.',
  file: null,
  buildArgs: [],
  tags: [],
  push: true,
  latest: false,
  registry: null,
  username: null,
  password: null,
};
const main: GitContext = { sha: SHA, branch: 'main', pr: null, defaultBranch: 'main', source: 'https://github.com/o/r' };
const labels = [
  '--label', 'org.opencontainers.image.source=https://github.com/o/r',
  '--label', `org.opencontainers.image.revision=${SHA}`,
  '--label', 'org.opencontainers.image.created=2026-11-26T14:00:00.000Z',
];
const I = base.image;

describe('buildPushCommands', () => {
  test.each<[string, Partial<BuildPushInputs>, GitContext, boolean, string[], string[][]]>([
    [
      'push to main, buildx',
      {},
      main,
      true,
      ['docker', 'buildx', 'build', '--tag', `${I}:sha-0123456`, '--tag', `${I}:main`, ...labels, '--load', '--provenance=false', '.'],
      [['docker', 'push', `${I}:sha-0123456`], ['docker', 'push', `${I}:main`]],
    ],
    [
      'latest on the default branch, plain docker build, file and build args',
      { latest: true, file: 'docker/Dockerfile', context: 'app', buildArgs: ['A=1', 'B=x y'] },
      main,
      false,
      ['docker', 'build', '--file', 'docker/Dockerfile', '--tag', `${I}:sha-0123456`, '--tag', `${I}:main`, '--tag', `${I}:latest`, ...labels, '--build-arg', 'A=1', '--build-arg', 'B=x y', 'app'],
      [['docker', 'push', `${I}:sha-0123456`], ['docker', 'push', `${I}:main`], ['docker', 'push', `${I}:latest`]],
    ],
    [
      'latest asked for on another branch: no latest, branch sanitized',
      { latest: true },
      { ...main, branch: 'Feature/Login_x' },
      true,
      ['docker', 'buildx', 'build', '--tag', `${I}:sha-0123456`, '--tag', `${I}:feature-login_x`, ...labels, '--load', '--provenance=false', '.'],
      [['docker', 'push', `${I}:sha-0123456`], ['docker', 'push', `${I}:feature-login_x`]],
    ],
    [
      'pull request: pr-N, no branch tag, extra tags, no push',
      { push: false, tags: ['v1.2.3'] },
      { ...main, branch: 'feature/x', pr: 42 },
      true,
      ['docker', 'buildx', 'build', '--tag', `${I}:sha-0123456`, '--tag', `${I}:pr-42`, '--tag', `${I}:v1.2.3`, ...labels, '--load', '--provenance=false', '.'],
      [],
    ],
    [
      'no source, no sha: only the extra tag and the created label',
      { tags: ['dev'] },
      { sha: null, branch: null, pr: null, defaultBranch: null, source: null },
      true,
      ['docker', 'buildx', 'build', '--tag', `${I}:dev`, '--label', 'org.opencontainers.image.created=2026-11-26T14:00:00.000Z', '--load', '--provenance=false', '.'],
      [['docker', 'push', `${I}:dev`]],
    ],
  ])('%s', (_name, inputs, git, buildx, build, push) => {
    const c = buildPushCommands({ ...base, ...inputs }, git, { buildx, created });
    expect(c.build).toEqual(build);
    expect(c.push).toEqual(push);
    expect(c.login).toBeNull();
  });

  it('logs in with the password on stdin, never in argv', () => {
    const c = buildPushCommands({ ...base, username: 'ci', password: 's3cr3t-pass' }, main, { buildx: true, created });
    expect(c.login).toEqual(['docker', 'login', '127.0.0.1:5000', '--username', 'ci', '--password-stdin']);
    const all = JSON.stringify([c.login, c.build, c.push]);
    expect(all).not.toContain('s3cr3t-pass');
  });

  it('logs in to the registry input when given', () => {
    const c = buildPushCommands({ ...base, image: 'org/app', registry: 'registry.example.org', username: 'u', password: 'p' }, main, { buildx: true, created });
    expect(c.login?.[2]).toBe('registry.example.org');
  });

  test.each([
    [{ image: '' }, /image: required/],
    [{ image: '127.0.0.1:5000/group/app:v1' }, /without tag or digest/],
    [{ image: 'app@sha256:abc' }, /without tag or digest/],
    [{ image: 'Group/App' }, /not a valid repository/],
    [{ buildArgs: ['no-equals'] }, /build-args/],
    [{ tags: ['bad tag'] }, /not a valid docker tag/],
    [{ username: 'u' }, /give both or neither/],
  ])('refuses %j', (inputs, msg) => {
    const f = () => buildPushCommands({ ...base, ...inputs } as BuildPushInputs, main, { buildx: true, created });
    expect(f).toThrow(ConfigurationError);
    expect(f).toThrow(msg);
  });

  it('refuses to build without any tag', () => {
    expect(() => buildPushCommands(base, { ...main, sha: null, branch: null }, { buildx: true, created })).toThrow(/no tag/);
  });
});

test.each([
  ['127.0.0.1:5000/group/app', '127.0.0.1:5000'],
  ['localhost/app', 'localhost'],
  ['ghcr.io/org/app', 'ghcr.io'],
  ['org/app', 'docker.io'],
  ['app', 'docker.io'],
])('registryOf(%s) = %s', (image, reg) => expect(registryOf(image)).toBe(reg));

test.each([
  ['main', 'main'],
  ['feature/Login', 'feature-login'],
  ['-x--y.', 'x--y'],
  ['a'.repeat(200), 'a'.repeat(128)],
])('tagOfBranch(%s)', (b, t) => expect(tagOfBranch(b)).toBe(t));

test('digestFromPushOutput', () => {
  const d = 'sha256:' + 'ab'.repeat(32);
  expect(digestFromPushOutput(`The push refers to repository [x]\n1234: Pushed\nmain: digest: ${d} size: 528\n`)).toBe(d);
  expect(digestFromPushOutput('nothing')).toBeNull();
});

describe('gitContextFromEnv', () => {
  it('reads a GitHub push', () => {
    const g = gitContextFromEnv(
      { GITHUB_ACTIONS: 'true', GITHUB_SHA: SHA, GITHUB_REF: 'refs/heads/main', GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'o/r' },
      { repository: { default_branch: 'main' } },
    );
    expect(g).toEqual({ sha: SHA, branch: 'main', pr: null, defaultBranch: 'main', source: 'https://github.com/o/r' });
  });
  it('reads a GitHub pull_request (head sha, not the merge commit)', () => {
    const g = gitContextFromEnv(
      { GITHUB_ACTIONS: 'true', GITHUB_SHA: 'f'.repeat(40), GITHUB_REF: 'refs/pull/7/merge', GITHUB_HEAD_REF: 'feature/x' },
      { number: 7, pull_request: { number: 7, head: { sha: SHA } }, repository: { default_branch: 'main', html_url: 'https://github.com/o/r' } },
    );
    expect(g).toEqual({ sha: SHA, branch: 'feature/x', pr: 7, defaultBranch: 'main', source: 'https://github.com/o/r' });
  });
  it('reads a GitHub tag push as no branch', () => {
    expect(gitContextFromEnv({ GITHUB_ACTIONS: 'true', GITHUB_SHA: SHA, GITHUB_REF: 'refs/tags/v1' }, null).branch).toBeNull();
  });
  it('reads Jenkins multibranch variables', () => {
    expect(gitContextFromEnv({ GIT_COMMIT: SHA, BRANCH_NAME: 'main', GIT_URL: 'https://git.example.org/o/r.git' }, null)).toEqual({
      sha: SHA,
      branch: 'main',
      pr: null,
      defaultBranch: 'main',
      source: 'https://git.example.org/o/r',
    });
    expect(gitContextFromEnv({ GIT_COMMIT: SHA, BRANCH_NAME: 'PR-9', CHANGE_ID: '9', CHANGE_BRANCH: 'fix' }, null).pr).toBe(9);
  });
});
