import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigurationError } from '../core/errors';
import { OPTIONS, envVarOf, type OptionName, type OptionSpec } from '../core/options';

export type OptionValues = Partial<Record<OptionName, string | boolean>>;

/**
 * Reads the named options from CLI flags, then from DELIVERY_* environment
 * variables. For options that name a file, the flag takes a path and the
 * environment variable holds the text itself.
 */
export function readCliOptions(
  names: readonly OptionName[],
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): { values: OptionValues; positionals: string[] } {
  const parseOptions: Record<string, { type: 'string' | 'boolean' }> = {};
  for (const n of names) {
    const spec: OptionSpec = OPTIONS[n];
    parseOptions[spec.flag] = { type: spec.type === 'boolean' ? 'boolean' : 'string' };
  }
  parseOptions.help = { type: 'boolean' };
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: parseOptions, allowPositionals: true, strict: true });
  } catch (err) {
    throw new ConfigurationError(`${(err as Error).message.split('\n')[0]}; run with --help for the options`);
  }
  const values: OptionValues = {};
  for (const n of names) {
    const spec: OptionSpec = OPTIONS[n];
    const fromFlag = (parsed.values as Record<string, string | boolean | undefined>)[spec.flag];
    if (fromFlag !== undefined) {
      if (spec.fileFlag && typeof fromFlag === 'string') {
        try {
          values[n] = readFileSync(fromFlag, 'utf8');
        } catch (err) {
          throw new ConfigurationError(`--${spec.flag} ${fromFlag}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? err})`);
        }
      } else {
        values[n] = fromFlag;
      }
      continue;
    }
    const fromEnv = env[envVarOf(spec)];
    if (fromEnv !== undefined && fromEnv !== '') {
      values[n] = spec.type === 'boolean' ? parseBool(fromEnv, envVarOf(spec)) : fromEnv;
    }
  }
  return { values, positionals: parsed.positionals };
}

export function parseBool(v: string, where: string): boolean {
  if (/^(1|true|yes|on)$/i.test(v)) return true;
  if (/^(0|false|no|off|)$/i.test(v)) return false;
  throw new ConfigurationError(`${where}: expected true or false, got ${JSON.stringify(v)}`);
}
