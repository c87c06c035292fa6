/** The fleet commands' input checks: refused with exit 2 and one clear line, before any host is contacted. */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { MemoryLogger } from '../../src/core/logger';

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

describe('fleet commands refuse bad input (exit 2)', () => {
  it.each([
    [['status', ...seed], /--env is required/],
    [['deploy', ...seed], /--env is required/],
    [['rollback', '--env', 'qa', ...seed, '--to', '../x'], /--to: release id "\.\.\/x" must match/],
    [['status', '--env', 'qa', ...seed, '--timeout', 'soon'], /--timeout: expected a whole number from 1 to 86400, got "soon"/],
    [['rollback', '--env', 'qa', ...seed, '--on-failure', 'maybe'], /--on-failure: expected rollback, stop or continue/],
    [['status', '--env', 'qa', ...seed, '--jump-host', 'a b'], /jump-host: expected \[user@\]host\[:port\]/],
    [['status', '--env', 'nope', ...seed], /no environment "nope"/],
  ])('%j', async (args, message) => {
    const r = await run(args, { DELIVERY_SSH_KEY: 'placeholder key text' });
    expect(r.code).toBe(2);
    expect(r.lines.join('\n')).toMatch(message);
  });

  it('no key and no agent: says how to give one', async () => {
    const r = await run(['status', '--env', 'qa', ...seed]);
    expect(r.code).toBe(2);
    expect(r.lines.join('\n')).toMatch(/no SSH key: give --ssh-key PATH \(or the key text in DELIVERY_SSH_KEY\), or run an ssh-agent/);
  });

  it('a key that is not a key', async () => {
    const r = await run(['status', '--env', 'qa', ...seed], { DELIVERY_SSH_KEY: 'not a key at all' });
    expect(r.code).toBe(2);
    expect(r.lines.join('\n')).toMatch(/ssh-key: cannot use the private key/);
    expect(r.lines.join('\n')).not.toContain('not a key at all');
  });

  it('a broken known-hosts line names its line', async () => {
    const r = await run(['status', '--env', 'qa', ...seed], { DELIVERY_SSH_KEY: 'placeholder key text', DELIVERY_KNOWN_HOSTS: '# ok\nhost ssh-ed25519 AAAAbroken\n' });
    expect(r.code).toBe(2);
    expect(r.lines.join('\n')).toMatch(/known-hosts:2: "ssh-ed25519" key does not decode/);
  });
});
