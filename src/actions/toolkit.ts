/**
 * The part of @actions/core the actions call, behind one object.
 *
 * In the ncc bundle (dist/<name>/index.js, what the runner runs) it is
 * @actions/core's own command, file-command, utils and summary modules,
 * without the package's index: that index loads its OIDC client at once, and
 * with it @actions/http-client and undici, 1 MB of code to compile and run
 * before the first byte reaches a host, for a token no action asks for
 * (issue 13, row 4: startup). From source (vitest, and @github/local-action,
 * which stubs @actions/core's index to read action.yml's defaults and to
 * keep masked values out of its log) it is the index itself.
 *
 * webpack evaluates `typeof __webpack_require__` while bundling: the bundle
 * holds only the first branch, and the `require('@actions/core')` of the
 * second is not in it at all (test/unit/dist.test.ts checks that no action
 * bundle holds the index or loads undici's built-ins).
 * test/unit/actions-toolkit.test.ts checks that both write the same commands.
 */
import { EOL } from 'node:os';
import type { AnnotationProperties } from '@actions/core';
import { issue, issueCommand } from '@actions/core/lib/command';
import { issueFileCommand, prepareKeyValueMessage } from '@actions/core/lib/file-command';
import { summary } from '@actions/core/lib/summary';
import { toCommandProperties, toCommandValue } from '@actions/core/lib/utils';

type Summary = typeof summary;

export interface Toolkit {
  setSecret(secret: string): void;
  info(message: string): void;
  debug(message: string): void;
  warning(message: string, properties?: AnnotationProperties): void;
  error(message: string, properties?: AnnotationProperties): void;
  /** An ::error and exit code 1. */
  setFailed(message: string): void;
  group<T>(name: string, fn: () => Promise<T>): Promise<T>;
  setOutput(name: string, value: string): void;
  summary: Summary;
}

const error = (message: string, properties: AnnotationProperties = {}) => issueCommand('error', toCommandProperties(properties), message);

/** @actions/core's functions over its command modules, as its index defines them (without the index). */
export const COMMANDS_TOOLKIT: Toolkit = {
  setSecret: (secret) => issueCommand('add-mask', {}, secret),
  info: (message) => void process.stdout.write(message + EOL),
  debug: (message) => issueCommand('debug', {}, message),
  warning: (message, properties = {}) => issueCommand('warning', toCommandProperties(properties), message),
  error,
  setFailed(message) {
    process.exitCode = 1;
    error(message);
  },
  async group(name, fn) {
    issue('group', name);
    try {
      return await fn();
    } finally {
      issue('endgroup');
    }
  },
  setOutput(name, value) {
    if (process.env.GITHUB_OUTPUT) return issueFileCommand('OUTPUT', prepareKeyValueMessage(name, value));
    process.stdout.write(EOL);
    issueCommand('set-output', { name }, toCommandValue(value));
  },
  summary,
};

type Core = typeof import('@actions/core');

/** The same, through @actions/core's index. */
export function coreToolkit(core: Core): Toolkit {
  return {
    setSecret: (secret) => core.setSecret(secret),
    info: (message) => core.info(message),
    debug: (message) => core.debug(message),
    warning: (message, properties) => core.warning(message, properties),
    error: (message, properties) => core.error(message, properties),
    setFailed: (message) => core.setFailed(message),
    group: (name, fn) => core.group(name, fn),
    setOutput: (name, value) => core.setOutput(name, value),
    get summary() {
      return core.summary;
    },
  };
}

declare const __webpack_require__: unknown;

let index: Core | null | undefined;
let current: Toolkit | undefined;

/** @actions/core's index from source; null in the bundle (the inputs are then read as the runner sets them: context.ts). */
export function coreIndex(): Core | null {
  if (index === undefined) index = typeof __webpack_require__ === 'function' ? null : (require('@actions/core') as Core);
  return index;
}

/** The toolkit of this process: the command modules in the bundle, @actions/core's index from source. */
export function toolkit(): Toolkit {
  const core = coreIndex();
  current ??= core ? coreToolkit(core) : COMMANDS_TOOLKIT;
  return current;
}
