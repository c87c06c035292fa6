/******/ (() => { // webpackBootstrap
/******/ 	"use strict";
/******/ 	var __webpack_modules__ = ({

/***/ 914:
/***/ (function(__unused_webpack_module, exports, __nccwpck_require__) {


var __createBinding = (this && this.__createBinding) || (Object.create ? (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    var desc = Object.getOwnPropertyDescriptor(m, k);
    if (!desc || ("get" in desc ? !m.__esModule : desc.writable || desc.configurable)) {
      desc = { enumerable: true, get: function() { return m[k]; } };
    }
    Object.defineProperty(o, k2, desc);
}) : (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    o[k2] = m[k];
}));
var __setModuleDefault = (this && this.__setModuleDefault) || (Object.create ? (function(o, v) {
    Object.defineProperty(o, "default", { enumerable: true, value: v });
}) : function(o, v) {
    o["default"] = v;
});
var __importStar = (this && this.__importStar) || (function () {
    var ownKeys = function(o) {
        ownKeys = Object.getOwnPropertyNames || function (o) {
            var ar = [];
            for (var k in o) if (Object.prototype.hasOwnProperty.call(o, k)) ar[ar.length] = k;
            return ar;
        };
        return ownKeys(o);
    };
    return function (mod) {
        if (mod && mod.__esModule) return mod;
        var result = {};
        if (mod != null) for (var k = ownKeys(mod), i = 0; i < k.length; i++) if (k[i] !== "default") __createBinding(result, mod, k[i]);
        __setModuleDefault(result, mod);
        return result;
    };
})();
Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.issueCommand = issueCommand;
exports.issue = issue;
const os = __importStar(__nccwpck_require__(857));
const utils_1 = __nccwpck_require__(302);
/**
 * Issues a command to the GitHub Actions runner
 *
 * @param command - The command name to issue
 * @param properties - Additional properties for the command (key-value pairs)
 * @param message - The message to include with the command
 * @remarks
 * This function outputs a specially formatted string to stdout that the Actions
 * runner interprets as a command. These commands can control workflow behavior,
 * set outputs, create annotations, mask values, and more.
 *
 * Command Format:
 *   ::name key=value,key=value::message
 *
 * @example
 * ```typescript
 * // Issue a warning annotation
 * issueCommand('warning', {}, 'This is a warning message');
 * // Output: ::warning::This is a warning message
 *
 * // Set an environment variable
 * issueCommand('set-env', { name: 'MY_VAR' }, 'some value');
 * // Output: ::set-env name=MY_VAR::some value
 *
 * // Add a secret mask
 * issueCommand('add-mask', {}, 'secretValue123');
 * // Output: ::add-mask::secretValue123
 * ```
 *
 * @internal
 * This is an internal utility function that powers the public API functions
 * such as setSecret, warning, error, and exportVariable.
 */
function issueCommand(command, properties, message) {
    const cmd = new Command(command, properties, message);
    process.stdout.write(cmd.toString() + os.EOL);
}
function issue(name, message = '') {
    issueCommand(name, {}, message);
}
const CMD_STRING = '::';
class Command {
    constructor(command, properties, message) {
        if (!command) {
            command = 'missing.command';
        }
        this.command = command;
        this.properties = properties;
        this.message = message;
    }
    toString() {
        let cmdStr = CMD_STRING + this.command;
        if (this.properties && Object.keys(this.properties).length > 0) {
            cmdStr += ' ';
            let first = true;
            for (const key in this.properties) {
                if (this.properties.hasOwnProperty(key)) {
                    const val = this.properties[key];
                    if (val) {
                        if (first) {
                            first = false;
                        }
                        else {
                            cmdStr += ',';
                        }
                        cmdStr += `${key}=${escapeProperty(val)}`;
                    }
                }
            }
        }
        cmdStr += `${CMD_STRING}${escapeData(this.message)}`;
        return cmdStr;
    }
}
function escapeData(s) {
    return (0, utils_1.toCommandValue)(s)
        .replace(/%/g, '%25')
        .replace(/\r/g, '%0D')
        .replace(/\n/g, '%0A');
}
function escapeProperty(s) {
    return (0, utils_1.toCommandValue)(s)
        .replace(/%/g, '%25')
        .replace(/\r/g, '%0D')
        .replace(/\n/g, '%0A')
        .replace(/:/g, '%3A')
        .replace(/,/g, '%2C');
}
//# sourceMappingURL=command.js.map

/***/ }),

/***/ 753:
/***/ (function(__unused_webpack_module, exports, __nccwpck_require__) {


// For internal use, subject to change.
var __createBinding = (this && this.__createBinding) || (Object.create ? (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    var desc = Object.getOwnPropertyDescriptor(m, k);
    if (!desc || ("get" in desc ? !m.__esModule : desc.writable || desc.configurable)) {
      desc = { enumerable: true, get: function() { return m[k]; } };
    }
    Object.defineProperty(o, k2, desc);
}) : (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    o[k2] = m[k];
}));
var __setModuleDefault = (this && this.__setModuleDefault) || (Object.create ? (function(o, v) {
    Object.defineProperty(o, "default", { enumerable: true, value: v });
}) : function(o, v) {
    o["default"] = v;
});
var __importStar = (this && this.__importStar) || (function () {
    var ownKeys = function(o) {
        ownKeys = Object.getOwnPropertyNames || function (o) {
            var ar = [];
            for (var k in o) if (Object.prototype.hasOwnProperty.call(o, k)) ar[ar.length] = k;
            return ar;
        };
        return ownKeys(o);
    };
    return function (mod) {
        if (mod && mod.__esModule) return mod;
        var result = {};
        if (mod != null) for (var k = ownKeys(mod), i = 0; i < k.length; i++) if (k[i] !== "default") __createBinding(result, mod, k[i]);
        __setModuleDefault(result, mod);
        return result;
    };
})();
Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.issueFileCommand = issueFileCommand;
exports.prepareKeyValueMessage = prepareKeyValueMessage;
// We use any as a valid input type
/* eslint-disable @typescript-eslint/no-explicit-any */
const crypto = __importStar(__nccwpck_require__(982));
const fs = __importStar(__nccwpck_require__(896));
const os = __importStar(__nccwpck_require__(857));
const utils_1 = __nccwpck_require__(302);
function issueFileCommand(command, message) {
    const filePath = process.env[`GITHUB_${command}`];
    if (!filePath) {
        throw new Error(`Unable to find environment variable for file command ${command}`);
    }
    if (!fs.existsSync(filePath)) {
        throw new Error(`Missing file at path: ${filePath}`);
    }
    fs.appendFileSync(filePath, `${(0, utils_1.toCommandValue)(message)}${os.EOL}`, {
        encoding: 'utf8'
    });
}
function prepareKeyValueMessage(key, value) {
    const delimiter = `ghadelimiter_${crypto.randomUUID()}`;
    const convertedValue = (0, utils_1.toCommandValue)(value);
    // These should realistically never happen, but just in case someone finds a
    // way to exploit uuid generation let's not allow keys or values that contain
    // the delimiter.
    if (key.includes(delimiter)) {
        throw new Error(`Unexpected input: name should not contain the delimiter "${delimiter}"`);
    }
    if (convertedValue.includes(delimiter)) {
        throw new Error(`Unexpected input: value should not contain the delimiter "${delimiter}"`);
    }
    return `${key}<<${delimiter}${os.EOL}${convertedValue}${os.EOL}${delimiter}`;
}
//# sourceMappingURL=file-command.js.map

/***/ }),

/***/ 847:
/***/ (function(__unused_webpack_module, exports, __nccwpck_require__) {


var __awaiter = (this && this.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};
Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.summary = exports.markdownSummary = exports.SUMMARY_DOCS_URL = exports.SUMMARY_ENV_VAR = void 0;
const os_1 = __nccwpck_require__(857);
const fs_1 = __nccwpck_require__(896);
const { access, appendFile, writeFile } = fs_1.promises;
exports.SUMMARY_ENV_VAR = 'GITHUB_STEP_SUMMARY';
exports.SUMMARY_DOCS_URL = 'https://docs.github.com/actions/using-workflows/workflow-commands-for-github-actions#adding-a-job-summary';
class Summary {
    constructor() {
        this._buffer = '';
    }
    /**
     * Finds the summary file path from the environment, rejects if env var is not found or file does not exist
     * Also checks r/w permissions.
     *
     * @returns step summary file path
     */
    filePath() {
        return __awaiter(this, void 0, void 0, function* () {
            if (this._filePath) {
                return this._filePath;
            }
            const pathFromEnv = process.env[exports.SUMMARY_ENV_VAR];
            if (!pathFromEnv) {
                throw new Error(`Unable to find environment variable for $${exports.SUMMARY_ENV_VAR}. Check if your runtime environment supports job summaries.`);
            }
            try {
                yield access(pathFromEnv, fs_1.constants.R_OK | fs_1.constants.W_OK);
            }
            catch (_a) {
                throw new Error(`Unable to access summary file: '${pathFromEnv}'. Check if the file has correct read/write permissions.`);
            }
            this._filePath = pathFromEnv;
            return this._filePath;
        });
    }
    /**
     * Wraps content in an HTML tag, adding any HTML attributes
     *
     * @param {string} tag HTML tag to wrap
     * @param {string | null} content content within the tag
     * @param {[attribute: string]: string} attrs key-value list of HTML attributes to add
     *
     * @returns {string} content wrapped in HTML element
     */
    wrap(tag, content, attrs = {}) {
        const htmlAttrs = Object.entries(attrs)
            .map(([key, value]) => ` ${key}="${value}"`)
            .join('');
        if (!content) {
            return `<${tag}${htmlAttrs}>`;
        }
        return `<${tag}${htmlAttrs}>${content}</${tag}>`;
    }
    /**
     * Writes text in the buffer to the summary buffer file and empties buffer. Will append by default.
     *
     * @param {SummaryWriteOptions} [options] (optional) options for write operation
     *
     * @returns {Promise<Summary>} summary instance
     */
    write(options) {
        return __awaiter(this, void 0, void 0, function* () {
            const overwrite = !!(options === null || options === void 0 ? void 0 : options.overwrite);
            const filePath = yield this.filePath();
            const writeFunc = overwrite ? writeFile : appendFile;
            yield writeFunc(filePath, this._buffer, { encoding: 'utf8' });
            return this.emptyBuffer();
        });
    }
    /**
     * Clears the summary buffer and wipes the summary file
     *
     * @returns {Summary} summary instance
     */
    clear() {
        return __awaiter(this, void 0, void 0, function* () {
            return this.emptyBuffer().write({ overwrite: true });
        });
    }
    /**
     * Returns the current summary buffer as a string
     *
     * @returns {string} string of summary buffer
     */
    stringify() {
        return this._buffer;
    }
    /**
     * If the summary buffer is empty
     *
     * @returns {boolen} true if the buffer is empty
     */
    isEmptyBuffer() {
        return this._buffer.length === 0;
    }
    /**
     * Resets the summary buffer without writing to summary file
     *
     * @returns {Summary} summary instance
     */
    emptyBuffer() {
        this._buffer = '';
        return this;
    }
    /**
     * Adds raw text to the summary buffer
     *
     * @param {string} text content to add
     * @param {boolean} [addEOL=false] (optional) append an EOL to the raw text (default: false)
     *
     * @returns {Summary} summary instance
     */
    addRaw(text, addEOL = false) {
        this._buffer += text;
        return addEOL ? this.addEOL() : this;
    }
    /**
     * Adds the operating system-specific end-of-line marker to the buffer
     *
     * @returns {Summary} summary instance
     */
    addEOL() {
        return this.addRaw(os_1.EOL);
    }
    /**
     * Adds an HTML codeblock to the summary buffer
     *
     * @param {string} code content to render within fenced code block
     * @param {string} lang (optional) language to syntax highlight code
     *
     * @returns {Summary} summary instance
     */
    addCodeBlock(code, lang) {
        const attrs = Object.assign({}, (lang && { lang }));
        const element = this.wrap('pre', this.wrap('code', code), attrs);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML list to the summary buffer
     *
     * @param {string[]} items list of items to render
     * @param {boolean} [ordered=false] (optional) if the rendered list should be ordered or not (default: false)
     *
     * @returns {Summary} summary instance
     */
    addList(items, ordered = false) {
        const tag = ordered ? 'ol' : 'ul';
        const listItems = items.map(item => this.wrap('li', item)).join('');
        const element = this.wrap(tag, listItems);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML table to the summary buffer
     *
     * @param {SummaryTableCell[]} rows table rows
     *
     * @returns {Summary} summary instance
     */
    addTable(rows) {
        const tableBody = rows
            .map(row => {
            const cells = row
                .map(cell => {
                if (typeof cell === 'string') {
                    return this.wrap('td', cell);
                }
                const { header, data, colspan, rowspan } = cell;
                const tag = header ? 'th' : 'td';
                const attrs = Object.assign(Object.assign({}, (colspan && { colspan })), (rowspan && { rowspan }));
                return this.wrap(tag, data, attrs);
            })
                .join('');
            return this.wrap('tr', cells);
        })
            .join('');
        const element = this.wrap('table', tableBody);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds a collapsable HTML details element to the summary buffer
     *
     * @param {string} label text for the closed state
     * @param {string} content collapsable content
     *
     * @returns {Summary} summary instance
     */
    addDetails(label, content) {
        const element = this.wrap('details', this.wrap('summary', label) + content);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML image tag to the summary buffer
     *
     * @param {string} src path to the image you to embed
     * @param {string} alt text description of the image
     * @param {SummaryImageOptions} options (optional) addition image attributes
     *
     * @returns {Summary} summary instance
     */
    addImage(src, alt, options) {
        const { width, height } = options || {};
        const attrs = Object.assign(Object.assign({}, (width && { width })), (height && { height }));
        const element = this.wrap('img', null, Object.assign({ src, alt }, attrs));
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML section heading element
     *
     * @param {string} text heading text
     * @param {number | string} [level=1] (optional) the heading level, default: 1
     *
     * @returns {Summary} summary instance
     */
    addHeading(text, level) {
        const tag = `h${level}`;
        const allowedTag = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].includes(tag)
            ? tag
            : 'h1';
        const element = this.wrap(allowedTag, text);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML thematic break (<hr>) to the summary buffer
     *
     * @returns {Summary} summary instance
     */
    addSeparator() {
        const element = this.wrap('hr', null);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML line break (<br>) to the summary buffer
     *
     * @returns {Summary} summary instance
     */
    addBreak() {
        const element = this.wrap('br', null);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML blockquote to the summary buffer
     *
     * @param {string} text quote text
     * @param {string} cite (optional) citation url
     *
     * @returns {Summary} summary instance
     */
    addQuote(text, cite) {
        const attrs = Object.assign({}, (cite && { cite }));
        const element = this.wrap('blockquote', text, attrs);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML anchor tag to the summary buffer
     *
     * @param {string} text link text/content
     * @param {string} href hyperlink
     *
     * @returns {Summary} summary instance
     */
    addLink(text, href) {
        const element = this.wrap('a', text, { href });
        return this.addRaw(element).addEOL();
    }
}
const _summary = new Summary();
/**
 * @deprecated use `core.summary`
 */
exports.markdownSummary = _summary;
exports.summary = _summary;
//# sourceMappingURL=summary.js.map

/***/ }),

/***/ 302:
/***/ ((__unused_webpack_module, exports) => {


// We use any as a valid input type
/* eslint-disable @typescript-eslint/no-explicit-any */
Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.toCommandValue = toCommandValue;
exports.toCommandProperties = toCommandProperties;
/**
 * Sanitizes an input into a string so it can be passed into issueCommand safely
 * @param input input to sanitize into a string
 */
function toCommandValue(input) {
    if (input === null || input === undefined) {
        return '';
    }
    else if (typeof input === 'string' || input instanceof String) {
        return input;
    }
    return JSON.stringify(input);
}
/**
 *
 * @param annotationProperties
 * @returns The command properties to send with the actual annotation command
 * See IssueCommandProperties: https://github.com/actions/runner/blob/main/src/Runner.Worker/ActionCommandManager.cs#L646
 */
function toCommandProperties(annotationProperties) {
    if (!Object.keys(annotationProperties).length) {
        return {};
    }
    return {
        title: annotationProperties.title,
        file: annotationProperties.file,
        line: annotationProperties.startLine,
        endLine: annotationProperties.endLine,
        col: annotationProperties.startColumn,
        endColumn: annotationProperties.endColumn
    };
}
//# sourceMappingURL=utils.js.map

/***/ }),

/***/ 838:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.run = run;
/** actions/build-push: build, tag, push; outputs image, digest, ref (image@sha256:…). */
const build_push_1 = __nccwpck_require__(954);
const context_1 = __nccwpck_require__(428);
const run_1 = __nccwpck_require__(74);
const toolkit_1 = __nccwpck_require__(361);
const core = (0, toolkit_1.toolkit)();
function run() {
    return (0, run_1.runAction)('build-push', async ({ inputs, ctx, logger }) => {
        const r = await (0, build_push_1.runBuildPush)(ctx, inputs, (0, context_1.readEvent)(process.env));
        core.setOutput('image', r.image);
        core.setOutput('digest', r.digest ?? '');
        core.setOutput('ref', r.ref ?? '');
        core.setOutput('tags', r.tags.join('\n'));
        if (r.ref)
            logger.info(`pushed ${r.ref}`);
        await (0, run_1.writeSummary)(logger, {
            title: `build-push ${r.image}`,
            facts: [
                ['ref', r.ref ?? '(not pushed)'],
                ['tags', r.tags.join(', ')],
                ['builder', r.buildx ? 'buildx' : 'docker build'],
            ],
            rows: [],
        });
    });
}


/***/ }),

/***/ 428:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.ACTION_OPTIONS = void 0;
exports.inputVar = inputVar;
exports.coreInputs = coreInputs;
exports.readInputs = readInputs;
exports.maskSecret = maskSecret;
exports.workspaceOf = workspaceOf;
exports.actionContext = actionContext;
exports.readEvent = readEvent;
/**
 * The actions' context: which options each action takes, reading them
 * through the one option table (src/core/options.ts) with the input names of
 * action.yml, masking every secret before anything is logged, and the
 * RunContext the typed commands (`runDeploy`, …) run with, so an action runs
 * exactly the code `delivery COMMAND` runs, without a detour through argv,
 * DELIVERY_* variables or the CLI's stdout.
 */
const node_fs_1 = __nccwpck_require__(24);
const command_1 = __nccwpck_require__(567);
const errors_1 = __nccwpck_require__(296);
const options_1 = __nccwpck_require__(457);
const toolkit_1 = __nccwpck_require__(361);
/** The options each action reads, by option name; action.yml declares exactly their inputs (a test checks). */
exports.ACTION_OPTIONS = {
    deploy: [
        'env', 'file', 'ssh-key', 'ssh-passphrase', 'known-hosts', 'ssh-user', 'jump-host', 'images',
        'registry-username', 'registry-password', 'secrets', 'release', 'cluster-token', 'concurrency',
        'on-failure', 'insecure-skip-host-key-check', 'timeout', 'connect-timeout', 'dry-run',
    ],
    'build-push': ['image', 'context', 'dockerfile', 'build-args', 'tags', 'push', 'latest', 'registry', 'registry-username', 'registry-password'],
    rollback: [
        'env', 'file', 'to', 'ssh-key', 'ssh-passphrase', 'known-hosts', 'ssh-user', 'jump-host', 'cluster-token',
        'concurrency', 'insecure-skip-host-key-check', 'timeout', 'connect-timeout',
    ],
    preview: [
        'env', 'file', 'pr-number', 'ssh-key', 'ssh-passphrase', 'known-hosts', 'ssh-user', 'jump-host', 'images',
        'registry-username', 'registry-password', 'secrets', 'cluster-token', 'token', 'cleanup-older-than',
        'insecure-skip-host-key-check', 'timeout', 'connect-timeout',
    ],
};
/** The runner's variable for an input: `ssh-key` → `INPUT_SSH-KEY` (as @actions/core reads it). */
function inputVar(input) {
    return `INPUT_${input.replace(/ /g, '_').toUpperCase()}`;
}
/** YAML 1.2 core booleans, as @actions/core's getBooleanInput accepts them. */
function parseInputBool(v, input) {
    if (['true', 'True', 'TRUE'].includes(v))
        return true;
    if (['false', 'False', 'FALSE'].includes(v))
        return false;
    throw new errors_1.ConfigurationError(`input "${input}": expected true or false, got ${JSON.stringify(v)}`);
}
/**
 * The inputs as @actions/core reads them: `core.getInput` from source (under
 * @github/local-action it knows action.yml's defaults), the runner's INPUT_*
 * variables in the bundle (see ./toolkit).
 */
function coreInputs() {
    const core = (0, toolkit_1.coreIndex)();
    return core ? (input) => core.getInput(input) : process.env;
}
/**
 * Reads an action's inputs. Every secret value is handed to the logger
 * (core.setSecret) here, before anything else runs.
 */
function readInputs(action, source, logger) {
    const raw0 = typeof source === 'function' ? source : (input) => source[inputVar(input)] ?? '';
    // The runner expands action.yml's defaults (`${{ github.token }}`); a local tool such as
    // @github/local-action hands them over as written. Unexpanded, such a value is not given.
    const get = (input) => {
        const v = raw0(input) ?? '';
        return /^\s*\$\{\{[^}]*\}\}\s*$/.test(v) ? '' : v;
    };
    const names = exports.ACTION_OPTIONS[action];
    // Mask first, across all inputs, then parse.
    for (const n of names) {
        const spec = options_1.OPTIONS[n];
        const raw = get((0, options_1.inputOf)(spec));
        if (spec.secret && raw)
            maskSecret(n, raw, logger);
    }
    const out = {};
    for (const n of names) {
        const spec = options_1.OPTIONS[n];
        const raw = (get((0, options_1.inputOf)(spec)) ?? '').trim();
        if (raw === '')
            continue;
        out[n] = spec.type === 'boolean' ? parseInputBool(raw, (0, options_1.inputOf)(spec)) : raw;
    }
    return out;
}
/** Masks a secret and, for dotenv secrets, each value on its own (a value may appear without its key). */
function maskSecret(name, value, logger) {
    logger.secret(value);
    logger.secret(value.trim());
    if (name === 'secrets') {
        for (const line of value.split(/\r?\n/)) {
            const m = /^\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_.-]*\s*=\s*(.*)$/.exec(line);
            if (!m)
                continue;
            let v = m[1].trim();
            if (/^(['"]).*\1$/.test(v))
                v = v.slice(1, -1);
            if (v)
                logger.secret(v);
        }
    }
}
/** The workspace relative paths resolve against: GITHUB_WORKSPACE (the checkout), not the action's own folder. */
function workspaceOf(env) {
    return env.GITHUB_WORKSPACE || process.cwd();
}
/**
 * The RunContext of an action: input names in messages, paths against the
 * workspace, and the process environment without the INPUT_* variables (they
 * must not reach docker or git as inputs of another step).
 */
function actionContext(env, logger) {
    const clean = {};
    for (const [k, v] of Object.entries(env))
        if (!k.startsWith('INPUT_'))
            clean[k] = v;
    return { env: clean, logger, naming: command_1.INPUT_NAMING, cwd: workspaceOf(env) };
}
/** The workflow's event payload (GITHUB_EVENT_PATH), or null outside a workflow. */
function readEvent(env) {
    const p = env.GITHUB_EVENT_PATH;
    if (!p)
        return null;
    try {
        return JSON.parse((0, node_fs_1.readFileSync)(p, 'utf8'));
    }
    catch (err) {
        throw new errors_1.ConfigurationError(`GITHUB_EVENT_PATH ${p}: cannot read the event payload (${err.message})`);
    }
}


/***/ }),

/***/ 167:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.ActionsLogger = void 0;
const toolkit_1 = __nccwpck_require__(361);
const core = (0, toolkit_1.toolkit)();
class ActionsLogger {
    secrets = [];
    mask(text) {
        let out = text;
        for (const s of this.secrets)
            out = out.split(s).join('***');
        return out;
    }
    info(m) {
        core.info(this.mask(m));
    }
    warn(m) {
        core.warning(this.mask(m));
    }
    error(m) {
        core.error(this.mask(m));
    }
    debug(m) {
        core.debug(this.mask(m));
    }
    group(title, fn) {
        return core.group(this.mask(title), fn);
    }
    secret(v) {
        // The value and each of its lines: a key is multi-line, and the runner masks line by line.
        for (const part of new Set([v, ...v.split(/\r?\n/)])) {
            const p = part.trim();
            if (p.length < 4 || this.secrets.includes(p))
                continue;
            core.setSecret(p);
            this.secrets.push(p);
        }
        // Longest first, so a line of a key is masked as part of the whole key.
        this.secrets.sort((a, b) => b.length - a.length);
    }
}
exports.ActionsLogger = ActionsLogger;


/***/ }),

/***/ 74:
/***/ (function(__unused_webpack_module, exports, __nccwpck_require__) {


var __importDefault = (this && this.__importDefault) || function (mod) {
    return (mod && mod.__esModule) ? mod : { "default": mod };
};
Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.workspacePath = workspacePath;
exports.lineLocation = lineLocation;
exports.failAction = failAction;
exports.runAction = runAction;
exports.writeSummary = writeSummary;
exports.esc = esc;
/**
 * The one wrapper every action's `run()` goes through: the inputs read (and
 * masked) through the context module, the typed command called by the
 * action, and an error turned into an `::error` annotation with the exit code
 * of the CLI (2 for the user's mistake, 5 failed, …). A Deliveryfile, compose
 * or cluster file error is annotated on its file, line and column, so it shows
 * on that line in a pull request; a bug shows its stack.
 */
const node_fs_1 = __nccwpck_require__(24);
const node_path_1 = __importDefault(__nccwpck_require__(760));
const errors_1 = __nccwpck_require__(296);
const context_1 = __nccwpck_require__(428);
const logger_1 = __nccwpck_require__(167);
const toolkit_1 = __nccwpck_require__(361);
const core = (0, toolkit_1.toolkit)();
/** A path as the annotation wants it: relative to the workspace when inside it. */
function workspacePath(file, workspace) {
    const rel = node_path_1.default.relative(workspace, node_path_1.default.resolve(workspace, file));
    return rel && !rel.startsWith('..') && !node_path_1.default.isAbsolute(rel) ? rel : file;
}
/**
 * The file position of one line of a ConfigurationError: the error's own
 * `location` for its first line, else the documented `FILE:LINE:COL ` prefix
 * every file error starts with (a Deliveryfile error lists one problem a
 * line), when FILE exists in the workspace.
 */
function lineLocation(line, workspace, first) {
    if (first)
        return first;
    const m = /^(.+?):([0-9]+):([0-9]+)(?::| )/.exec(line);
    if (!m || !(0, node_fs_1.existsSync)(node_path_1.default.resolve(workspace, m[1])))
        return null;
    return { file: m[1], line: Number(m[2]), col: Number(m[3]) };
}
/** The failure of an action: one ::error per problem (on its file's line when it has one), and the exit code. */
function failAction(err, logger, env = process.env) {
    const ws = (0, context_1.workspaceOf)(env);
    // Paths in messages as the user wrote them: relative to the checkout.
    const text = (m) => logger.mask(m.split(ws + node_path_1.default.sep).join(''));
    if (err instanceof errors_1.ConfigurationError) {
        const lines = err.message.split('\n').filter((l) => l.trim());
        const locs = lines.map((l, i) => lineLocation(l, ws, i === 0 ? err.location : undefined));
        if (lines.length === 1 && !locs[0])
            core.setFailed(text(err.message));
        else {
            lines.forEach((l, i) => {
                const loc = locs[i];
                if (loc)
                    core.error(text(l), { title: 'delivery', file: workspacePath(loc.file, ws), startLine: loc.line, startColumn: loc.col });
                else
                    core.error(text(l));
            });
        }
        process.exitCode = err.exitCode;
        return err.exitCode;
    }
    if (err instanceof errors_1.DeliveryError) {
        core.setFailed(text(err.message));
        process.exitCode = err.exitCode;
        return err.exitCode;
    }
    core.setFailed(text(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : (0, errors_1.errorMessage)(err)}`));
    process.exitCode = errors_1.ExitCode.Internal;
    return errors_1.ExitCode.Internal;
}
/**
 * Runs one action: inputs (masked first), the context, then `fn`, whose
 * number is the exit code. Never rejects: the error is the step's failure.
 */
async function runAction(action, fn) {
    const logger = new logger_1.ActionsLogger();
    try {
        if (!(action in context_1.ACTION_OPTIONS))
            throw new Error(`no action ${action}`);
        const inputs = (0, context_1.readInputs)(action, (0, context_1.coreInputs)(), logger);
        const code = await fn({ inputs, ctx: (0, context_1.actionContext)(process.env, logger), logger });
        if (code)
            process.exitCode = code;
    }
    catch (err) {
        failAction(err, logger);
    }
}
/** Writes the job summary (GITHUB_STEP_SUMMARY): a heading, facts, a host table, notes. */
async function writeSummary(logger, parts) {
    if (!process.env.GITHUB_STEP_SUMMARY)
        return;
    const s = core.summary.addHeading(logger.mask(parts.title), 3);
    if (parts.facts.length)
        s.addList(parts.facts.map(([k, v]) => logger.mask(`${k}: ${v}`)));
    if (parts.rows.length) {
        const withReason = parts.rows.some((r) => r.reason);
        s.addTable([
            ['host', 'result', 'release', 'seconds', ...(withReason ? ['reason'] : [])].map((data) => ({ data, header: true })),
            ...parts.rows.map((r) => [r.host, r.result, r.release, r.seconds, ...(withReason ? [r.reason ?? ''] : [])].map((c) => logger.mask(c))),
        ]);
    }
    for (const n of parts.notes ?? [])
        s.addRaw(`\n${logger.mask(n)}\n`, true);
    await s.write();
}
/** HTML-escapes text for the summary. */
function esc(t) {
    return t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}


/***/ }),

/***/ 361:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.COMMANDS_TOOLKIT = void 0;
exports.coreToolkit = coreToolkit;
exports.coreIndex = coreIndex;
exports.toolkit = toolkit;
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
 * webpack evaluates `typeof __nccwpck_require__` while bundling: the bundle
 * holds only the first branch, and the `require('@actions/core')` of the
 * second is not in it at all (test/unit/dist.test.ts checks that no action
 * bundle holds the index or loads undici's built-ins).
 * test/unit/actions-toolkit.test.ts checks that both write the same commands.
 */
const node_os_1 = __nccwpck_require__(161);
const command_1 = __nccwpck_require__(914);
const file_command_1 = __nccwpck_require__(753);
const summary_1 = __nccwpck_require__(847);
const utils_1 = __nccwpck_require__(302);
const error = (message, properties = {}) => (0, command_1.issueCommand)('error', (0, utils_1.toCommandProperties)(properties), message);
/** @actions/core's functions over its command modules, as its index defines them (without the index). */
exports.COMMANDS_TOOLKIT = {
    setSecret: (secret) => (0, command_1.issueCommand)('add-mask', {}, secret),
    info: (message) => void process.stdout.write(message + node_os_1.EOL),
    debug: (message) => (0, command_1.issueCommand)('debug', {}, message),
    warning: (message, properties = {}) => (0, command_1.issueCommand)('warning', (0, utils_1.toCommandProperties)(properties), message),
    error,
    setFailed(message) {
        process.exitCode = 1;
        error(message);
    },
    async group(name, fn) {
        (0, command_1.issue)('group', name);
        try {
            return await fn();
        }
        finally {
            (0, command_1.issue)('endgroup');
        }
    },
    setOutput(name, value) {
        if (process.env.GITHUB_OUTPUT)
            return (0, file_command_1.issueFileCommand)('OUTPUT', (0, file_command_1.prepareKeyValueMessage)(name, value));
        process.stdout.write(node_os_1.EOL);
        (0, command_1.issueCommand)('set-output', { name }, (0, utils_1.toCommandValue)(value));
    },
    summary: summary_1.summary,
};
/** The same, through @actions/core's index. */
function coreToolkit(core) {
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
let index;
let current;
/** @actions/core's index from source; null in the bundle (the inputs are then read as the runner sets them: context.ts). */
function coreIndex() {
    if (index === undefined)
        index =  true ? null : 0;
    return index;
}
/** The toolkit of this process: the command modules in the bundle, @actions/core's index from source. */
function toolkit() {
    const core = coreIndex();
    current ??= core ? coreToolkit(core) : exports.COMMANDS_TOOLKIT;
    return current;
}


/***/ }),

/***/ 226:
/***/ (function(__unused_webpack_module, exports, __nccwpck_require__) {


var __importDefault = (this && this.__importDefault) || function (mod) {
    return (mod && mod.__esModule) ? mod : { "default": mod };
};
Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.hasBuildx = hasBuildx;
exports.buildAndPush = buildAndPush;
exports.createdFromEnv = createdFromEnv;
/**
 * Runs build-push's commands (src/core/build.ts) with the Docker CLI:
 * `docker login --password-stdin` into a private, temporary DOCKER_CONFIG
 * (the runner's own docker login is never touched and nothing stays behind),
 * buildx when present or the plain builder, push, and the digest the registry
 * gave.
 */
const node_child_process_1 = __nccwpck_require__(421);
const promises_1 = __nccwpck_require__(455);
const node_os_1 = __nccwpck_require__(161);
const node_path_1 = __importDefault(__nccwpck_require__(760));
const build_1 = __nccwpck_require__(591);
const errors_1 = __nccwpck_require__(296);
/** Runs a command, streams its lines to the logger, and returns its exit code and output. */
function run(argv, logger, opts) {
    return new Promise((resolve, reject) => {
        const child = (0, node_child_process_1.spawn)(argv[0], argv.slice(1), { env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
        let output = '';
        let partial = '';
        const onData = (chunk) => {
            const text = chunk.toString('utf8');
            output += text;
            partial += text;
            const lines = partial.split(/\r?\n/);
            partial = lines.pop() ?? '';
            if (!opts.quiet)
                for (const l of lines)
                    if (l.trim())
                        logger.info(l);
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        child.on('error', (err) => {
            reject(err.code === 'ENOENT' ? new errors_1.ConfigurationError(`${argv[0]}: not found; install the Docker CLI on the runner`) : err);
        });
        child.on('close', (code) => {
            if (partial.trim() && !opts.quiet)
                logger.info(partial);
            resolve({ code: code ?? 1, output });
        });
        child.stdin.end(opts.stdin ?? '');
    });
}
async function hasBuildx(env = process.env) {
    return new Promise((resolve) => {
        const child = (0, node_child_process_1.spawn)('docker', ['buildx', 'version'], { env, stdio: 'ignore' });
        child.on('error', () => resolve(false));
        child.on('close', (code) => resolve(code === 0));
    });
}
async function buildAndPush(inputs, git, logger, opts = {}) {
    if (inputs.password)
        logger.secret(inputs.password);
    const baseEnv = opts.env ?? process.env;
    // A private Docker config: the login lives only for this run.
    const config = await (0, promises_1.mkdtemp)(node_path_1.default.join((0, node_os_1.tmpdir)(), 'delivery-docker-'));
    await (0, promises_1.chmod)(config, 0o700);
    try {
        // Keep the user's CLI plugins (buildx) and builder instances reachable.
        const userConfig = baseEnv.DOCKER_CONFIG ?? node_path_1.default.join(baseEnv.HOME ?? '/root', '.docker');
        const cfg = {};
        try {
            const user = JSON.parse(await (0, promises_1.readFile)(node_path_1.default.join(userConfig, 'config.json'), 'utf8'));
            if (user.cliPluginsExtraDirs)
                cfg.cliPluginsExtraDirs = user.cliPluginsExtraDirs;
        }
        catch {
            /* no user config */
        }
        cfg.cliPluginsExtraDirs = [...(cfg.cliPluginsExtraDirs ?? []), node_path_1.default.join(userConfig, 'cli-plugins')];
        await (0, promises_1.writeFile)(node_path_1.default.join(config, 'config.json'), JSON.stringify(cfg), { mode: 0o600 });
        const env = { ...baseEnv, DOCKER_CONFIG: config };
        const buildx = await hasBuildx(env);
        const cmds = (0, build_1.buildPushCommands)(inputs, git, { buildx, created: opts.created ?? createdFromEnv(baseEnv) });
        if (!buildx)
            logger.warn('docker buildx is not installed: building with the plain `docker build`');
        if (cmds.login && inputs.password) {
            await logger.group(`Log in to ${cmds.registry}`, async () => {
                const r = await run(cmds.login, logger, { env, stdin: inputs.password, quiet: true });
                if (r.code !== 0) {
                    const why = r.output.split('\n').map((l) => l.trim()).filter(Boolean).pop() ?? `exit ${r.code}`;
                    throw new errors_1.DeliveryError(`docker login ${cmds.registry} as ${inputs.username} failed: ${why}; check registry-username and registry-password`, errors_1.ExitCode.Refused);
                }
                logger.info(`logged in to ${cmds.registry} as ${inputs.username}`);
            });
        }
        await logger.group(`Build ${cmds.refs.join(', ')}`, async () => {
            logger.info(`$ ${cmds.build.join(' ')}`);
            const r = await run(cmds.build, logger, { env });
            if (r.code !== 0)
                throw new errors_1.DeliveryError(`docker build failed (exit ${r.code}); the build output above says why`, errors_1.ExitCode.Failed);
        });
        let digest = null;
        if (cmds.push.length) {
            await logger.group(`Push to ${cmds.registry}`, async () => {
                for (const argv of cmds.push) {
                    logger.info(`$ ${argv.join(' ')}`);
                    const r = await run(argv, logger, { env });
                    if (r.code !== 0) {
                        const why = /unauthorized|authentication required|denied/i.test(r.output)
                            ? `the registry refused the credentials; check registry-username and registry-password`
                            : `exit ${r.code}`;
                        throw new errors_1.DeliveryError(`docker push ${argv[2]} failed: ${why}`, errors_1.ExitCode.Failed);
                    }
                    const d = (0, build_1.digestFromPushOutput)(r.output);
                    if (!d)
                        throw new errors_1.DeliveryError(`docker push ${argv[2]}: no digest in its output`, errors_1.ExitCode.Internal);
                    if (digest && d !== digest)
                        throw new errors_1.DeliveryError(`docker push ${argv[2]}: digest ${d} differs from ${digest}`, errors_1.ExitCode.Internal);
                    digest = d;
                }
            });
        }
        else {
            logger.info('push: false, the image stays in the local engine');
        }
        return {
            image: inputs.image,
            digest,
            ref: digest ? `${inputs.image}@${digest}` : null,
            tags: cmds.refs,
            buildx,
        };
    }
    finally {
        await (0, promises_1.rm)(config, { recursive: true, force: true });
    }
}
/** The `created` label: SOURCE_DATE_EPOCH when set (reproducible builds), else now. */
function createdFromEnv(env) {
    const e = env.SOURCE_DATE_EPOCH;
    return e && /^[0-9]+$/.test(e) ? new Date(Number(e) * 1000) : new Date();
}


/***/ }),

/***/ 593:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.readCliOptions = readCliOptions;
exports.parseBool = parseBool;
const node_fs_1 = __nccwpck_require__(24);
const node_util_1 = __nccwpck_require__(975);
const errors_1 = __nccwpck_require__(296);
const options_1 = __nccwpck_require__(457);
/**
 * Reads the named options from CLI flags, then from DELIVERY_* environment
 * variables. For options that name a file, the flag takes a path and the
 * environment variable holds the text itself.
 */
function readCliOptions(names, argv, env = process.env) {
    const parseOptions = {};
    for (const n of names) {
        const spec = options_1.OPTIONS[n];
        parseOptions[spec.flag] = { type: spec.type === 'boolean' ? 'boolean' : 'string' };
    }
    parseOptions.help = { type: 'boolean' };
    let parsed;
    try {
        parsed = (0, node_util_1.parseArgs)({ args: argv, options: parseOptions, allowPositionals: true, strict: true });
    }
    catch (err) {
        throw new errors_1.ConfigurationError(`${err.message.split('\n')[0]}; run with --help for the options`);
    }
    const values = {};
    for (const n of names) {
        const spec = options_1.OPTIONS[n];
        const fromFlag = parsed.values[spec.flag];
        if (fromFlag !== undefined) {
            if (spec.fileFlag && typeof fromFlag === 'string') {
                try {
                    values[n] = (0, node_fs_1.readFileSync)(fromFlag, 'utf8');
                }
                catch (err) {
                    throw new errors_1.ConfigurationError(`--${spec.flag} ${fromFlag}: cannot read the file (${err.code ?? err})`);
                }
            }
            else {
                values[n] = fromFlag;
            }
            continue;
        }
        const fromEnv = env[(0, options_1.envVarOf)(spec)];
        if (fromEnv !== undefined && fromEnv !== '') {
            values[n] = spec.type === 'boolean' ? parseBool(fromEnv, (0, options_1.envVarOf)(spec)) : fromEnv;
        }
    }
    return { values, positionals: parsed.positionals };
}
function parseBool(v, where) {
    if (/^(1|true|yes|on)$/i.test(v))
        return true;
    if (/^(0|false|no|off|)$/i.test(v))
        return false;
    throw new errors_1.ConfigurationError(`${where}: expected true or false, got ${JSON.stringify(v)}`);
}


/***/ }),

/***/ 567:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.namingOf = exports.INPUT_NAMING = exports.CLI_NAMING = void 0;
const options_1 = __nccwpck_require__(457);
exports.CLI_NAMING = {
    say: (n) => `--${options_1.OPTIONS[n].flag}`,
    required: (n, what) => `--${options_1.OPTIONS[n].flag} is required (or ${(0, options_1.envVarOf)(options_1.OPTIONS[n])}): ${what}`,
};
exports.INPUT_NAMING = {
    say: (n) => `input "${(0, options_1.inputOf)(options_1.OPTIONS[n])}"`,
    required: (n, what) => `input "${(0, options_1.inputOf)(options_1.OPTIONS[n])}" is required: ${what}`,
};
const namingOf = (ctx) => ctx.naming ?? exports.CLI_NAMING;
exports.namingOf = namingOf;


/***/ }),

/***/ 954:
/***/ (function(__unused_webpack_module, exports, __nccwpck_require__) {


var __importDefault = (this && this.__importDefault) || function (mod) {
    return (mod && mod.__esModule) ? mod : { "default": mod };
};
Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.buildPushCommand = void 0;
exports.buildPushInputsFrom = buildPushInputsFrom;
exports.runBuildPush = runBuildPush;
const docker_1 = __nccwpck_require__(226);
const build_1 = __nccwpck_require__(591);
const errors_1 = __nccwpck_require__(296);
const node_path_1 = __importDefault(__nccwpck_require__(760));
const args_1 = __nccwpck_require__(593);
const command_1 = __nccwpck_require__(567);
const OPTS = ['image', 'context', 'dockerfile', 'build-args', 'tags', 'push', 'latest', 'registry', 'registry-username', 'registry-password', 'json'];
function lines(v) {
    return typeof v === 'string' ? v.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#')) : [];
}
function str(v) {
    return typeof v === 'string' && v.trim() ? v.trim() : null;
}
/** Option values (from flags, DELIVERY_* or action inputs) → build-push inputs; relative paths resolve against `cwd`. */
function buildPushInputsFrom(values, naming = command_1.CLI_NAMING, cwd) {
    const image = str(values.image);
    if (!image)
        throw new errors_1.ConfigurationError(naming.required('image', 'the image repository to build and push, without tag, e.g. 127.0.0.1:5000/group/app'));
    const at = (p) => (cwd ? node_path_1.default.resolve(cwd, p) : p);
    const file = str(values.dockerfile);
    return {
        image,
        context: at(str(values.context) ?? '.'),
        file: file ? at(file) : null,
        buildArgs: lines(values['build-args']),
        tags: lines(values.tags),
        push: values.push === undefined ? true : values.push === true,
        latest: values.latest === true,
        registry: str(values.registry),
        username: str(values['registry-username']),
        password: typeof values['registry-password'] === 'string' && values['registry-password'] ? values['registry-password'] : null,
    };
}
/** The job of build-push, shared by the CLI command, the action and Jenkins. */
async function runBuildPush(ctx, values, event = null) {
    const pw = values['registry-password'];
    if (typeof pw === 'string' && pw)
        ctx.logger.secret(pw);
    const inputs = buildPushInputsFrom(values, (0, command_1.namingOf)(ctx), ctx.cwd);
    return (0, docker_1.buildAndPush)(inputs, (0, build_1.gitContextFromEnv)(ctx.env, event), ctx.logger, { env: ctx.env });
}
exports.buildPushCommand = {
    name: 'build-push',
    summary: 'build the image (buildx, or docker build), tag it from git, push it, print image@sha256:…',
    options: OPTS,
    usage: 'delivery build-push --image REPO [--context DIR] [--dockerfile PATH] [--build-args LINES] [--tags LINES] [--latest] [--registry-username U] (password in DELIVERY_REGISTRY_PASSWORD) [--json]  (DELIVERY_PUSH=false only builds)',
    async run(ctx) {
        const { values } = (0, args_1.readCliOptions)(OPTS, ctx.argv, ctx.env);
        const r = await runBuildPush(ctx, values);
        if (values.json)
            ctx.stdout.write(JSON.stringify({ ok: true, code: 0, ...r }) + '\n');
        else
            ctx.stdout.write(`${r.ref ?? r.tags[0]}\n`);
        return 0;
    },
};


/***/ }),

/***/ 591:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.registryOf = registryOf;
exports.tagOfBranch = tagOfBranch;
exports.tagsFor = tagsFor;
exports.labelsFor = labelsFor;
exports.validateBuildPush = validateBuildPush;
exports.buildPushCommands = buildPushCommands;
exports.digestFromPushOutput = digestFromPushOutput;
exports.gitContextFromEnv = gitContextFromEnv;
/**
 * build-push as data: from the inputs and the git context to the exact
 * docker argv (login, build, push). Pure: no process, no network. The
 * adapter (src/adapters/docker.ts) runs these words.
 */
const errors_1 = __nccwpck_require__(296);
const REPO_RE = /^(?:[a-zA-Z0-9.-]+(?::[0-9]{1,5})?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const BUILD_ARG_RE = /^[A-Za-z_][A-Za-z0-9_]*=/;
/** The registry host of an image repository: `127.0.0.1:5000/a/b` → `127.0.0.1:5000`, `alpine` → `docker.io`. */
function registryOf(image) {
    const slash = image.indexOf('/');
    if (slash < 0)
        return 'docker.io';
    const first = image.slice(0, slash);
    return /[.:]/.test(first) || first === 'localhost' ? first : 'docker.io';
}
/** A branch name as a docker tag: `feature/Login_x` → `feature-login_x` (lowercase, at most 128 characters). */
function tagOfBranch(branch) {
    const t = branch
        .toLowerCase()
        .replace(/[^a-z0-9_.-]+/g, '-')
        .replace(/^[.-]+/, '')
        .slice(0, 128)
        .replace(/[.-]+$/, '');
    return t;
}
/** Tags from the git context: `sha-<7>`, the branch, `pr-N`, `latest` on the default branch (opt-in), then the extra tags. */
function tagsFor(inputs, git) {
    const tags = [];
    if (git.sha)
        tags.push(`sha-${git.sha.slice(0, 7)}`);
    if (git.pr !== null)
        tags.push(`pr-${git.pr}`);
    else if (git.branch) {
        const b = tagOfBranch(git.branch);
        if (b)
            tags.push(b);
        if (inputs.latest && git.defaultBranch && git.branch === git.defaultBranch)
            tags.push('latest');
    }
    for (const t of inputs.tags) {
        if (!TAG_RE.test(t))
            throw new errors_1.ConfigurationError(`tags: ${JSON.stringify(t)} is not a valid docker tag (letters, digits, _ . -, at most 128)`);
        tags.push(t);
    }
    const unique = [...new Set(tags)];
    if (!unique.length) {
        throw new errors_1.ConfigurationError('build-push: no tag to give the image: no commit sha (GITHUB_SHA / GIT_COMMIT) and no tags input');
    }
    return unique;
}
/** OCI labels: source, revision, created. */
function labelsFor(git, created) {
    const labels = [];
    if (git.source)
        labels.push(`org.opencontainers.image.source=${git.source}`);
    if (git.sha)
        labels.push(`org.opencontainers.image.revision=${git.sha}`);
    labels.push(`org.opencontainers.image.created=${created.toISOString()}`);
    return labels;
}
function validateBuildPush(inputs) {
    if (!inputs.image)
        throw new errors_1.ConfigurationError('image: required (the repository to push to, e.g. 127.0.0.1:5000/group/app)');
    if (/[@]/.test(inputs.image) || /:[^/]*$/.test(inputs.image.slice(inputs.image.indexOf('/') + 1))) {
        throw new errors_1.ConfigurationError(`image: ${JSON.stringify(inputs.image)} must be a repository without tag or digest; tags come from the commit and the tags input`);
    }
    if (!REPO_RE.test(inputs.image)) {
        throw new errors_1.ConfigurationError(`image: ${JSON.stringify(inputs.image)} is not a valid repository name (lowercase, e.g. registry.example.org/group/app)`);
    }
    for (const a of inputs.buildArgs) {
        if (!BUILD_ARG_RE.test(a))
            throw new errors_1.ConfigurationError(`build-args: ${JSON.stringify(a.split('=')[0])} must be a KEY=VALUE line`);
    }
    if (!!inputs.username !== !!inputs.password) {
        throw new errors_1.ConfigurationError('registry-username and registry-password: give both or neither');
    }
}
/**
 * The exact docker commands. The password never appears: login reads it on
 * stdin (`--password-stdin`).
 */
function buildPushCommands(inputs, git, opts) {
    validateBuildPush(inputs);
    const registry = inputs.registry || registryOf(inputs.image);
    const refs = tagsFor(inputs, git).map((t) => `${inputs.image}:${t}`);
    const build = opts.buildx ? ['docker', 'buildx', 'build'] : ['docker', 'build'];
    if (inputs.file)
        build.push('--file', inputs.file);
    for (const r of refs)
        build.push('--tag', r);
    for (const l of labelsFor(git, opts.created))
        build.push('--label', l);
    for (const a of inputs.buildArgs)
        build.push('--build-arg', a);
    // buildx: load into the engine so `docker push` gives the registry's digest
    // for every builder driver; the plain builder always loads.
    if (opts.buildx)
        build.push('--load', '--provenance=false');
    build.push(inputs.context || '.');
    return {
        login: inputs.username ? ['docker', 'login', registry, '--username', inputs.username, '--password-stdin'] : null,
        build,
        push: inputs.push ? refs.map((r) => ['docker', 'push', r]) : [],
        refs,
        registry,
    };
}
/** The manifest digest from `docker push` output (`latest: digest: sha256:… size: 528`). */
function digestFromPushOutput(output) {
    const m = /digest: (sha256:[0-9a-f]{64})/.exec(output);
    return m ? m[1] : null;
}
/**
 * The git context from the CI's environment: GitHub Actions (GITHUB_* and the
 * event payload) or Jenkins (GIT_COMMIT, BRANCH_NAME, CHANGE_ID, GIT_URL).
 */
function gitContextFromEnv(env, event) {
    const ev = (event ?? {});
    if (env.GITHUB_ACTIONS === 'true' || env.GITHUB_SHA) {
        const pr = ev.pull_request?.number ?? null;
        const ref = env.GITHUB_REF ?? '';
        const branch = pr !== null ? (env.GITHUB_HEAD_REF || null) : ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : null;
        const source = ev.repository?.html_url ?? (env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}` : null);
        return {
            // A pull_request run's GITHUB_SHA is the merge commit; label the head that was pushed.
            sha: ev.pull_request?.head?.sha ?? env.GITHUB_SHA ?? null,
            branch,
            pr,
            defaultBranch: ev.repository?.default_branch ?? null,
            source,
        };
    }
    const change = env.CHANGE_ID && /^[0-9]+$/.test(env.CHANGE_ID) ? Number(env.CHANGE_ID) : null;
    const branch = change !== null ? (env.CHANGE_BRANCH ?? null) : (env.BRANCH_NAME ?? env.GIT_BRANCH?.replace(/^origin\//, '') ?? null);
    return {
        sha: env.GIT_COMMIT ?? env.DELIVERY_GIT_SHA ?? null,
        branch: branch || null,
        pr: change,
        defaultBranch: env.DELIVERY_DEFAULT_BRANCH ?? 'main',
        source: env.GIT_URL ? env.GIT_URL.replace(/\.git$/, '') : null,
    };
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
    location;
    constructor(message, 
    /** Where in a file the mistake is (Deliveryfile, compose, cluster file), for `::error file=…,line=…,col=…::`. */
    location) {
        super(message, exports.ExitCode.Refused);
        this.location = location;
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
    /** Cancelled (SIGINT/SIGTERM) and every host is on one release. */
    Cancelled: 130,
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
    // build-push
    image: { flag: 'image', type: 'string', description: 'image repository to build and push, without tag (e.g. 127.0.0.1:5000/group/app)' },
    tags: { flag: 'tags', type: 'multiline', description: 'extra tags, one a line (sha-<7>, the branch, pr-N are always given)' },
    context: { flag: 'context', type: 'string', description: 'build context folder (default .)' },
    dockerfile: { flag: 'dockerfile', input: 'file', env: 'DELIVERY_DOCKERFILE', type: 'string', description: 'Dockerfile path (default <context>/Dockerfile)' },
    'build-args': { flag: 'build-args', type: 'multiline', description: 'build arguments, KEY=VALUE one a line' },
    push: { flag: 'push', type: 'boolean', description: 'push the image (default true; false only builds)' },
    latest: { flag: 'latest', type: 'boolean', description: 'also tag latest when building the default branch' },
    registry: { flag: 'registry', type: 'string', description: 'registry to log in to (default: the image\'s registry)' },
    // preview
    'pr-number': { flag: 'pr', input: 'pr-number', env: 'DELIVERY_PR', type: 'string', description: 'pull request number (Actions: from the event)' },
    teardown: { flag: 'teardown', type: 'boolean', description: 'remove the preview instead of deploying it (Actions: on pull_request closed)' },
    token: { flag: 'github-token', input: 'token', env: 'DELIVERY_GITHUB_TOKEN', type: 'string', secret: true, description: 'GitHub token for the PR comment and the open-PR check (Actions: github.token)' },
    repository: { flag: 'repository', env: 'DELIVERY_REPOSITORY', type: 'string', description: 'owner/repo for the PR comment (Actions: GITHUB_REPOSITORY)' },
    'cleanup-older-than': { flag: 'cleanup-older-than', type: 'string', description: 'also remove previews of PRs no longer open whose release is older than this (e.g. 0, 12h, 7d)' },
    // lb-config
    format: { flag: 'format', type: 'string', description: 'lb-config output: apache or haproxy' },
    probe: { flag: 'probe', type: 'boolean', description: 'lb-config: ask every host\'s router for the health check URI once; warn about each host not answering 200' },
    // setup
    'deploy-key': { flag: 'deploy-key', type: 'multiline', fileFlag: true, description: 'setup: the public key CI deploys with (CLI: a .pub path; env: the key line)' },
    'admin-user': { flag: 'admin-user', type: 'string', description: 'setup: the SSH user that sets the host up, root or one with NOPASSWD sudo (default root)' },
    'deploy-user': { flag: 'deploy-user', type: 'string', description: 'setup: the user rollout runs as on the host (default deploy)' },
    router: { flag: 'router', type: 'string', description: 'setup: haproxy (default) or traefik' },
    'http-port': { flag: 'http-port', type: 'string', description: 'setup: port the host\'s router listens on (default 80)' },
    'host-config': { flag: 'host-config', type: 'multiline', description: 'setup: extra KEY=VALUE lines for /etc/rollout/config, one a line' },
    'install-docker': { flag: 'install-docker', type: 'boolean', description: 'setup: install Docker and Compose v2 with the host\'s package manager when missing' },
};
/** `ssh-key` → `DELIVERY_SSH_KEY`; `secrets` (flag `--secrets-file`) → `DELIVERY_SECRETS` */
function envVarOf(spec) {
    return spec.env ?? 'DELIVERY_' + inputOf(spec).replace(/-/g, '_').toUpperCase();
}
function inputOf(spec) {
    return spec.input ?? spec.flag;
}


/***/ }),

/***/ 982:
/***/ ((module) => {

module.exports = require("crypto");

/***/ }),

/***/ 896:
/***/ ((module) => {

module.exports = require("fs");

/***/ }),

/***/ 421:
/***/ ((module) => {

module.exports = require("node:child_process");

/***/ }),

/***/ 24:
/***/ ((module) => {

module.exports = require("node:fs");

/***/ }),

/***/ 455:
/***/ ((module) => {

module.exports = require("node:fs/promises");

/***/ }),

/***/ 161:
/***/ ((module) => {

module.exports = require("node:os");

/***/ }),

/***/ 760:
/***/ ((module) => {

module.exports = require("node:path");

/***/ }),

/***/ 975:
/***/ ((module) => {

module.exports = require("node:util");

/***/ }),

/***/ 857:
/***/ ((module) => {

module.exports = require("os");

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
/******/ 			__webpack_modules__[moduleId].call(module.exports, module, module.exports, __nccwpck_require__);
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
/** Runs the build-push action: ncc bundles this file into dist/build-push/index.js (action.yml's main). */
const main_1 = __nccwpck_require__(838);
void (0, main_1.run)();

})();

module.exports = __webpack_exports__;
/******/ })()
;