/**
 * Reading the Deliveryfile from disk, on its own: the commands that need no
 * bundle (rollback, status, releases, remove, lb-config) load this, not
 * load-plan.ts with the compose and bundle code behind it.
 */
import { readFile, stat } from 'node:fs/promises';
import { parseDeliveryfile, type Deliveryfile } from '../core/deliveryfile';
import { ConfigurationError } from '../core/errors';
import { MAX_YAML_BYTES } from '../core/yaml-source';

/** Reads and validates a Deliveryfile (refused before reading when over MAX_YAML_BYTES). */
export async function loadDeliveryfile(file: string): Promise<Deliveryfile> {
  let text: string;
  try {
    const st = await stat(file);
    if (!st.isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
    if (st.size > MAX_YAML_BYTES) {
      throw new ConfigurationError(`${file}: the Deliveryfile is ${(st.size / 1024 / 1024).toFixed(1)} MiB, over the limit of ${MAX_YAML_BYTES / 1024 / 1024} MiB; refused before reading`);
    }
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (err instanceof ConfigurationError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigurationError(
      code === 'ENOENT' ? `${file}: no such file; give the Deliveryfile with --file PATH (or DELIVERY_FILE)` : `${file}: cannot read the Deliveryfile (${code ?? err})`,
    );
  }
  return parseDeliveryfile(text, file);
}
