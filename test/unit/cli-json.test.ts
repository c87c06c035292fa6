/**
 * `--json` on every exit: each command that takes --json prints exactly one
 * JSON document on stdout, errors included (`{"ok":false,"code":2,"error":…}`),
 * and plan and deploy check their options through the one mapping, so they
 * accept and refuse the same values.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands';
import { VERSION, main } from '../../src/cli/main';
import { MemoryLogger } from '../../src/core/logger';
import pkg from '../../package.json';

async function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const logger = new MemoryLogger();
  let out = '';
  const stdout = new Writable({
    write(c, _e, cb) {
      out += c.toString();
      cb();
    },
  });
  const code = await main(args, { env: { HOME: '/nonexistent', ...env }, logger, stdout });
  return { code, lines: logger.lines, out };
}

const seed = ['--file', 'examples/seed/Deliveryfile'];
/** The commands that take --json (a test below checks the list against the commands). */
const jsonCommands = ['build-push', 'preview', 'deploy', 'rollback', 'status', 'releases', 'remove', 'plan', 'setup'];

describe('the commands index (lazy: a command module loads when it runs)', () => {
  it('lists each command under its own name and summary; the --json ones are those above', async () => {
    const loaded = await Promise.all(COMMANDS.map((c) => c.load()));
    expect(loaded.map((c) => [c.name, c.summary])).toEqual(COMMANDS.map((c) => [c.name, c.summary]));
    expect(loaded.filter((c) => c.options.includes('json')).map((c) => c.name)).toEqual(jsonCommands);
  });
});

describe('--json prints one JSON result on every exit', () => {
  it('covers the commands that print results', () => {
    for (const c of ['deploy', 'rollback', 'status', 'releases', 'remove', 'plan', 'preview', 'build-push']) expect(jsonCommands).toContain(c);
  });

  it.each(jsonCommands)('%s --json with a bad flag: {"ok":false,"code":2,"error":…} and nothing else', async (name) => {
    const r = await run([name, '--json', '--no-such-flag']);
    expect(r.code).toBe(2);
    expect(r.out.trim().split('\n')).toHaveLength(1);
    const j = JSON.parse(r.out);
    expect(j).toEqual({ ok: false, code: 2, error: expect.stringMatching(/no-such-flag/) });
  });

  it('DELIVERY_JSON=true works like --json', async () => {
    const r = await run(['status', ...seed], { DELIVERY_JSON: 'true' });
    expect(r.code).toBe(2);
    expect(JSON.parse(r.out)).toEqual({ ok: false, code: 2, error: '--env is required (or DELIVERY_ENV): the environment of the Deliveryfile to act on (qa, prod, …)' });
  });

  it('a Deliveryfile error carries its file, line and column', async () => {
    const r = await run(['plan', '--json', '--env', 'nope', ...seed]);
    expect(r.code).toBe(2);
    const j = JSON.parse(r.out);
    expect(j.ok).toBe(false);
    expect(j.error).toMatch(/^examples\/seed\/Deliveryfile:\d+:\d+ .*no environment "nope"/);
  });

  it('a secret never reaches the JSON (masked like the log)', async () => {
    const r = await run(['deploy', '--json', '--env', 'qa', ...seed, '--release', 'bad release'], { DELIVERY_REGISTRY_PASSWORD: 'pw-abcdef-123', DELIVERY_REGISTRY_USERNAME: 'u' });
    expect(r.code).toBe(2);
    expect(r.out).not.toContain('pw-abcdef-123');
  });

  it('unknown command and --version answer in JSON too', async () => {
    const u = await run(['frobnicate', '--json']);
    expect(u.code).toBe(2);
    expect(JSON.parse(u.out)).toMatchObject({ ok: false, code: 2, error: expect.stringMatching(/unknown command "frobnicate"/) });
    const v = await run(['--version', '--json']);
    expect(JSON.parse(v.out)).toMatchObject({ ok: true, code: 0, version: pkg.version });
  });

  it('plan --json on success: ok and code first, then the plan', async () => {
    const r = await run(['plan', '--json', '--env', 'qa', ...seed, '--release', '20261201T000000Z-abc1234']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ ok: true, code: 0, application: 'bit-docker/teapot', environment: 'qa', release: '20261201T000000Z-abc1234' });
  });
});

describe('one mapping from options to a fleet request', () => {
  it.each([
    [['--concurrency', '5000'], '--concurrency: expected a whole number from 1 to 1000, got "5000"'],
    [['--concurrency', '0'], '--concurrency: expected a whole number from 1 to 1000, got "0"'],
    [['--timeout', '99999999'], '--timeout: expected a whole number from 1 to 86400, got "99999999"'],
    [['--on-failure', 'maybe'], '--on-failure: expected rollback, stop or continue, got "maybe"'],
    [['--release', '../x'], /^--release: release id "\.\.\/x" must match/],
  ])('plan and deploy refuse %j alike', async (flags, message) => {
    for (const cmd of ['plan', 'deploy']) {
      const r = await run([cmd, '--json', '--env', 'qa', ...seed, ...flags], { DELIVERY_SSH_KEY: 'placeholder' });
      expect(r.code, cmd).toBe(2);
      if (typeof message === 'string') expect(JSON.parse(r.out).error, cmd).toBe(message);
      else expect(JSON.parse(r.out).error, cmd).toMatch(message);
    }
  });

  it('plan takes the limit, --concurrency 1000 (the plan runs at most one per host: the seed has 2)', async () => {
    const r = await run(['plan', '--json', '--env', 'qa', ...seed, '--concurrency', '1000']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).concurrency).toBe(2);
  });
});

describe('--version', () => {
  it('prints the version of package.json, the one version source', async () => {
    const r = await run(['--version']);
    expect(r.out).toBe(`delivery ${pkg.version}\n`);
    expect(VERSION).toBe(pkg.version);
    expect(pkg.version).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
