#!/usr/bin/env node
/******/ (() => { // webpackBootstrap
/******/ 	"use strict";
/******/ 	var __webpack_modules__ = ({

/***/ 246:
/***/ ((__unused_webpack_module, exports) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.ConsoleLogger = void 0;
/** The CLI's logger: progress and messages on stderr, masked secrets. */
class ConsoleLogger {
    out;
    verbose;
    secrets = [];
    constructor(out = process.stderr, verbose = process.env.DELIVERY_DEBUG === '1') {
        this.out = out;
        this.verbose = verbose;
    }
    write(line) {
        let masked = line;
        for (const s of this.secrets)
            masked = masked.split(s).join('***');
        this.out.write(masked + '\n');
    }
    info(m) {
        this.write(m);
    }
    warn(m) {
        this.write(`warning: ${m}`);
    }
    error(m) {
        this.write(`error: ${m}`);
    }
    debug(m) {
        if (this.verbose)
            this.write(`debug: ${m}`);
    }
    async group(title, fn) {
        this.write(`==> ${title}`);
        return fn();
    }
    secret(v) {
        // Mask the value and each of its lines (a key is multi-line).
        for (const part of [v, ...v.split('\n')]) {
            if (part.trim().length >= 4)
                this.secrets.push(part);
        }
    }
}
exports.ConsoleLogger = ConsoleLogger;


/***/ }),

/***/ 549:
/***/ ((__unused_webpack_module, exports) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.COMMANDS = void 0;
/**
 * Every CLI command. Each lives in its own file in this folder; add yours
 * to this list (one import, one entry).
 */
exports.COMMANDS = [];


/***/ }),

/***/ 957:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.VERSION = void 0;
exports.main = main;
const console_logger_1 = __nccwpck_require__(246);
const errors_1 = __nccwpck_require__(296);
const options_1 = __nccwpck_require__(457);
const commands_1 = __nccwpck_require__(549);
exports.VERSION = '0.1.0';
function helpText(commands) {
    const width = Math.max(...commands.map((c) => c.name.length), 8);
    return [
        `delivery ${exports.VERSION}: Docker without Kubernetes, blue/green over SSH`,
        '',
        'usage: delivery COMMAND [OPTIONS]',
        '',
        'commands:',
        ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
        '',
        'Run `delivery COMMAND --help` for its options. Every option can also be',
        'given as an environment variable: --ssh-key ↔ DELIVERY_SSH_KEY.',
        '',
        'exit codes: 0 ok, 1 internal error, 2 bad input or refused, 3 locked,',
        '  4 pull failed, 5 failed and the fleet is back on the previous release,',
        '  7 the fleet could not be brought back to one version',
    ].join('\n');
}
function commandHelp(c) {
    const lines = [`usage: ${c.usage}`, '', c.summary, ''];
    if (c.options.length) {
        lines.push('options:');
        for (const n of c.options) {
            const o = options_1.OPTIONS[n];
            const arg = o.type === 'boolean' ? '' : o.fileFlag ? ' PATH' : ' VALUE';
            lines.push(`  --${o.flag}${arg}`.padEnd(36) + `${o.description} [${(0, options_1.envVarOf)(o)}]`);
        }
    }
    return lines.join('\n');
}
/** Runs the CLI and returns the exit code; never throws. */
async function main(argv, io = {}, commands = commands_1.COMMANDS) {
    const stdout = io.stdout ?? process.stdout;
    const logger = io.logger ?? new console_logger_1.ConsoleLogger();
    const env = io.env ?? process.env;
    const [name, ...rest] = argv;
    if (!name || name === '--help' || name === '-h' || name === 'help') {
        stdout.write(helpText(commands) + '\n');
        return name ? errors_1.ExitCode.Ok : errors_1.ExitCode.Refused;
    }
    if (name === '--version' || name === 'version') {
        stdout.write(`delivery ${exports.VERSION}\n`);
        return errors_1.ExitCode.Ok;
    }
    const command = commands.find((c) => c.name === name);
    if (!command) {
        logger.error(`unknown command ${JSON.stringify(name)}; the commands are: ${commands.map((c) => c.name).join(', ')}`);
        return errors_1.ExitCode.Refused;
    }
    if (rest.includes('--help') || rest.includes('-h')) {
        stdout.write(commandHelp(command) + '\n');
        return errors_1.ExitCode.Ok;
    }
    try {
        return await command.run({ argv: rest, env, logger, stdout });
    }
    catch (err) {
        if (err instanceof errors_1.DeliveryError) {
            logger.error(err.message);
            return err.exitCode;
        }
        logger.error(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : (0, errors_1.errorMessage)(err)}`);
        return errors_1.ExitCode.Internal;
    }
}


/***/ }),

/***/ 296:
/***/ ((__unused_webpack_module, exports) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.ExitCode = exports.ConfigurationError = exports.DeliveryError = void 0;
exports.errorMessage = errorMessage;
/**
 * Errors that carry an exit code. A ConfigurationError is the user's mistake
 * (bad Deliveryfile, cluster, compose file, flag): one clear line, exit 2.
 * Anything else that escapes is a bug: exit 1.
 */
class DeliveryError extends Error {
    exitCode;
    constructor(message, exitCode) {
        super(message);
        this.exitCode = exitCode;
        this.name = new.target.name;
    }
}
exports.DeliveryError = DeliveryError;
/** The user's input is wrong; the message says what, where and what to do. */
class ConfigurationError extends DeliveryError {
    constructor(message) {
        super(message, exports.ExitCode.Refused);
    }
}
exports.ConfigurationError = ConfigurationError;
/** Exit codes of the client (delivery CLI and actions). Listed in the README. */
exports.ExitCode = {
    Ok: 0,
    Internal: 1,
    Refused: 2,
    Locked: 3,
    PullFailed: 4,
    Failed: 5,
    Split: 7,
};
function errorMessage(err) {
    return err instanceof Error ? err.message : String(err);
}


/***/ }),

/***/ 457:
/***/ ((__unused_webpack_module, exports) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.OPTIONS = void 0;
exports.envVarOf = envVarOf;
exports.inputOf = inputOf;
exports.OPTIONS = {
    env: { flag: 'env', input: 'environment', env: 'DELIVERY_ENV', type: 'string', description: 'environment in the Deliveryfile (qa, prod, …)' },
    file: { flag: 'file', input: 'deliveryfile', env: 'DELIVERY_FILE', type: 'string', description: 'path of the Deliveryfile (default: Deliveryfile)' },
    release: { flag: 'release', type: 'string', description: 'release id (default: UTC time + short git sha)' },
    json: { flag: 'json', type: 'boolean', description: 'print the result as JSON on stdout' },
    'cluster-token': { flag: 'cluster-token', type: 'string', secret: true, description: 'bearer token for https:// cluster URLs' },
    'ssh-key': { flag: 'ssh-key', type: 'multiline', secret: true, fileFlag: true, description: 'SSH private key (CLI: a path; env/input: the key text); default: the ssh-agent' },
    'ssh-passphrase': { flag: 'ssh-passphrase', type: 'string', secret: true, description: 'passphrase of the SSH key' },
    'known-hosts': { flag: 'known-hosts', type: 'multiline', fileFlag: true, description: 'known_hosts lines for the hosts (CLI: a path; env/input: the text)' },
    'ssh-user': { flag: 'ssh-user', type: 'string', description: 'SSH user (default: deploy)' },
    'jump-host': { flag: 'jump-host', type: 'string', description: 'jump host, [user@]host[:port] (ProxyJump)' },
    concurrency: { flag: 'concurrency', type: 'string', description: 'hosts deployed at once in parallel mode (default 10)' },
    'on-failure': { flag: 'on-failure', type: 'string', description: 'rollback (default), stop or continue' },
    'insecure-skip-host-key-check': { flag: 'insecure-skip-host-key-check', type: 'boolean', description: 'DANGER: accept any host key (logged on every host)' },
    timeout: { flag: 'timeout', type: 'string', description: 'per-host overall timeout in seconds (default 600), passed to rollout as --deadline' },
    'connect-timeout': { flag: 'connect-timeout', type: 'string', description: 'SSH connect timeout in seconds (default 15)' },
    to: { flag: 'to', type: 'string', description: 'rollback target release (default: the previous one)' },
    images: { flag: 'images', type: 'multiline', description: 'pinned images, one a line: repo@sha256:… or service=repo@sha256:…' },
    secrets: { flag: 'secrets-file', input: 'secrets', type: 'multiline', secret: true, fileFlag: true, description: 'app secrets as dotenv lines (CLI: a path; env/input: the text)' },
    'registry-username': { flag: 'registry-username', type: 'string', description: 'registry user for the hosts\' pulls' },
    'registry-password': { flag: 'registry-password', type: 'string', secret: true, description: 'registry password for the hosts\' pulls' },
    'dry-run': { flag: 'dry-run', type: 'boolean', description: 'preflight and rollout deploy --dry-run on every host; nothing switches' },
};
/** `ssh-key` → `DELIVERY_SSH_KEY`; `secrets` (flag `--secrets-file`) → `DELIVERY_SECRETS` */
function envVarOf(spec) {
    return spec.env ?? 'DELIVERY_' + inputOf(spec).replace(/-/g, '_').toUpperCase();
}
function inputOf(spec) {
    return spec.input ?? spec.flag;
}


/***/ })

/******/ 	});
/************************************************************************/
/******/ 	// The module cache
/******/ 	var __webpack_module_cache__ = {};
/******/ 	
/******/ 	// The require function
/******/ 	function __nccwpck_require__(moduleId) {
/******/ 		// Check if module is in cache
/******/ 		var cachedModule = __webpack_module_cache__[moduleId];
/******/ 		if (cachedModule !== undefined) {
/******/ 			return cachedModule.exports;
/******/ 		}
/******/ 		// Create a new module (and put it into the cache)
/******/ 		var module = __webpack_module_cache__[moduleId] = {
/******/ 			// no module.id needed
/******/ 			// no module.loaded needed
/******/ 			exports: {}
/******/ 		};
/******/ 	
/******/ 		// Execute the module function
/******/ 		var threw = true;
/******/ 		try {
/******/ 			__webpack_modules__[moduleId](module, module.exports, __nccwpck_require__);
/******/ 			threw = false;
/******/ 		} finally {
/******/ 			if(threw) delete __webpack_module_cache__[moduleId];
/******/ 		}
/******/ 	
/******/ 		// Return the exports of the module
/******/ 		return module.exports;
/******/ 	}
/******/ 	
/************************************************************************/
/******/ 	/* webpack/runtime/asset-relocator-loader */
/******/ 	if (typeof __nccwpck_require__ !== 'undefined') __nccwpck_require__.ab = __dirname + "/";
/******/ 	
/************************************************************************/
var __webpack_exports__ = {};
// This entry need to be wrapped in an IIFE because it uses a non-standard name for the exports (exports).
(() => {
var exports = __webpack_exports__;

Object.defineProperty(exports, "__esModule", ({ value: true }));
const main_1 = __nccwpck_require__(957);
(0, main_1.main)(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
}, (err) => {
    process.stderr.write(`internal error: ${err}\n`);
    process.exitCode = 1;
});

})();

module.exports = __webpack_exports__;
/******/ })()
;