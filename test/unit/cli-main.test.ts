import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import type { Command } from '../../src/cli/command';
import { readCliOptions } from '../../src/cli/args';
import { MemoryLogger } from '../../src/core/logger';
import { PassThrough } from 'node:stream';

// A command that only reads its options: the CLI's handling around it is under test.
const probe: Command = {
  name: 'probe',
  summary: 'reads options',
  options: ['registry-password', 'ssh-key', 'env'],
  usage: 'delivery probe',
  async run(ctx) {
    const { values } = readCliOptions(this.options, ctx.argv, ctx.env);
    return values['registry-password'] ? 0 : 2;
  },
};

async function runProbe(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const logger = new MemoryLogger();
  const code = await main(['probe', ...argv], { logger, env, stdout: new PassThrough() }, [probe]);
  return { code, lines: logger.lines };
}

describe('secret options on the command line', () => {
  it('warns that a secret flag value is visible in the process list and names the variable', async () => {
    const { code, lines } = await runProbe(['--registry-password', 'hunter22']);
    expect(code).toBe(0);
    expect(lines).toContain(
      'warning: --registry-password on the command line is visible to other users in the process list; set DELIVERY_REGISTRY_PASSWORD instead',
    );
    expect(lines.join('\n')).not.toContain('hunter22');
  });

  it('says nothing when the secret comes from the environment', async () => {
    const { code, lines } = await runProbe([], { DELIVERY_REGISTRY_PASSWORD: 'hunter22' });
    expect(code).toBe(0);
    expect(lines).toEqual([]);
  });

  it('says nothing for file-valued secrets, whose flag takes a path', async () => {
    const { lines } = await runProbe(['--ssh-key', '/nonexistent/key']);
    expect(lines.join('\n')).not.toMatch(/process list/);
  });
});
