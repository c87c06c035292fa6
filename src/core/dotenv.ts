import { ConfigurationError } from './errors';

/**
 * dotenv lines (`NAME=value`) as CI secrets arrive: blank lines and `#`
 * comments are skipped, `export ` is allowed, values may be in single quotes
 * (literal) or double quotes (`\n`, `\"`, `\\` escapes). Messages name the
 * line, never the value. The result has no prototype (a secret may be
 * called `constructor`).
 */
export function parseDotenv(text: string, where: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/^\s*export\s+/, '').trimStart();
    if (!line.trim() || line.startsWith('#')) return;
    const m = /^([A-Za-z0-9_.-]+)\s*=(.*)$/.exec(line);
    if (!m) throw new ConfigurationError(`${where} line ${i + 1}: expected NAME=value`);
    let v = m[2].trim();
    if (v.length >= 2 && v.startsWith("'") && v.endsWith("'")) v = v.slice(1, -1);
    else if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) {
      v = v.slice(1, -1).replace(/\\([n"\\])/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    out[m[1]] = v;
  });
  return out;
}
