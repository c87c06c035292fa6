/**
 * The README's table of every option: action input ↔ CLI flag ↔
 * environment variable, and which actions take it. Generated from the one
 * option table (src/core/options.ts); a test checks the README holds it.
 */
import { OPTIONS, envVarOf, inputOf, type OptionName, type OptionSpec } from '../core/options';
import { ACTION_OPTIONS, type ActionName } from './context';

export function optionsTableMarkdown(): string {
  const rows = ['| action input | CLI flag | environment variable | actions | what |', '| --- | --- | --- | --- | --- |'];
  for (const [name, raw] of Object.entries(OPTIONS)) {
    const spec: OptionSpec = raw;
    const actions = (Object.keys(ACTION_OPTIONS) as ActionName[]).filter((a) =>
      (ACTION_OPTIONS[a] as readonly OptionName[]).includes(name as OptionName),
    );
    const flag = `\`--${spec.flag}${spec.type === 'boolean' ? '' : spec.fileFlag ? ' PATH' : ' VALUE'}\``;
    const input = actions.length ? `\`${inputOf(spec)}\`` : '—';
    const what = spec.description.replace(/\|/g, '\\|') + (spec.secret ? ' (secret, masked)' : '');
    rows.push(`| ${input} | ${flag} | \`${envVarOf(spec)}\` | ${actions.join(', ') || 'CLI only'} | ${what} |`);
  }
  return rows.join('\n');
}
