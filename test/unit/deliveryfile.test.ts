import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { stringify } from 'yaml';
import { loadDeliveryfile } from '../../src/adapters/load-plan';
import { environmentOf, parseDeliveryfile } from '../../src/core/deliveryfile';
import { ConfigurationError } from '../../src/core/errors';
import { composeProjectName, joinedName } from '../../src/core/names';
import { didYouMean } from '../../src/core/yaml-source';

const SEED = path.join(__dirname, '../fixtures/foundation/seed/Deliveryfile');

/** Writes `text` as a Deliveryfile in a fresh folder and returns the error message of loading it. */
async function errorOf(text: string): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'df-'));
  const file = path.join(dir, 'Deliveryfile');
  writeFileSync(file, text);
  try {
    await loadDeliveryfile(file);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigurationError);
    return (err as Error).message.split(dir + '/').join('');
  }
  throw new Error('expected the Deliveryfile to be refused');
}

describe('the seed Deliveryfile', () => {
  test('loads unchanged from disk, version 1.0 included', async () => {
    const text = readFileSync(SEED, 'utf8');
    expect(text).toContain('version: 1.0\n');
    const df = await loadDeliveryfile(SEED);
    expect(df.data.version).toBe(1);
    expect(df.data.application).toBe('bit-docker/teapot');
    expect(df.mode).toBe('parallel');
    expect(environmentOf(df, 'qa')).toEqual({
      cluster: ['https://bitbucket.1and1.org/projects/BIT/repos/bit_cluster/raw/bitservicesqa.yml'],
      files: ['docker-compose-qa.yml'],
      env_files: [],
      secrets: [],
    });
    expect(environmentOf(df, 'prod').files).toEqual(['docker-compose.yml']);
  });

  test('gets every default', async () => {
    const df = await loadDeliveryfile(SEED);
    expect(df.concurrency).toBe(10);
    expect(df.batch).toBe(1);
    expect(df.canary).toBe(1);
    expect(df.onFailure).toBe('rollback');
    expect(df.router).toBeNull();
    expect(df.data.ssh).toEqual({ user: 'deploy', port: 22 });
    // Left to each host's rollout config (HEALTH_TIMEOUT, KEEP_RELEASES).
    expect(df.data.health).toEqual({});
    expect(df.data.keep).toBeUndefined();
    expect(df.data.images).toEqual({});
    expect(df.data.route).toBeUndefined();
    expect(df.data.registry).toBeUndefined();
  });

  test('an unknown environment names the ones there are', async () => {
    const df = await loadDeliveryfile(SEED);
    expect(() => environmentOf(df, 'prd')).toThrow(/Deliveryfile:5:3 environments: no environment "prd"; did you mean "prod"\? \(there are: qa, prod\)/);
  });
});

describe('every extension', () => {
  test('parses with its values', () => {
    const df = parseDeliveryfile(
      `version: "1.0"
application: shop/web
deployment:
  mode: rolling
  batch: 25%
  concurrency: 4
  on-failure: stop
ssh: {user: ci, port: 2222, jump_host: jump@bastion.example.org:22}
route: {path: /shop/, service: web, port: 8080, strip_prefix: true}
health: {timeout: 30, stable: 2, path: /health}
keep: 3
router: haproxy
registry: 127.0.0.1:5000
preview:
  route:
    path: /pr-{number}/
  url: https://qa.example.org/pr-{number}/
images: {web: 127.0.0.1:5000/shop/web}
environments:
  qa:
    cluster: [clusters/qa.yml, {hosts: [a.example.org]}]
    files: [compose.yml, compose.qa.yml]
    env_files: [qa.env]
    secrets: [db_password]
`,
    );
    expect(df.mode).toBe('rolling');
    expect(df.batch).toBe('25%');
    expect(df.concurrency).toBe(4);
    expect(df.onFailure).toBe('stop');
    expect(df.router).toBe('haproxy');
    expect(df.data.ssh).toEqual({ user: 'ci', port: 2222, jump_host: 'jump@bastion.example.org:22' });
    expect(df.data.route).toEqual({ path: '/shop/', service: 'web', port: 8080, strip_prefix: true });
    expect(df.data.health).toEqual({ timeout: 30, stable: 2, path: '/health' });
    expect(df.data.preview?.route.path).toBe('/pr-{number}/');
    expect(df.data.environments.qa.secrets).toEqual(['db_password']);
  });

  test('canary with its host count', () => {
    const df = parseDeliveryfile('application: a/b\ndeployment: {mode: canary, canary: 2}\nenvironments: {qa: {cluster: [c.yml], files: [d.yml]}}\n');
    expect(df.mode).toBe('canary');
    expect(df.canary).toBe(2);
  });
});

describe('errors name file:line:col, the field path and what was expected', () => {
  const table: [string, string, RegExp][] = [
    [
      'an unknown top-level key, with did you mean',
      'version: 1.0\napplication: a/b\ndeploymnet: parallel\nenvironments:\n  qa:\n    cluster: [c.yml]\n    files: [d.yml]\n',
      /^Deliveryfile:3:1 deploymnet: unknown key; did you mean "deployment"\?/,
    ],
    [
      'an unknown key in an environment',
      'application: a/b\nenvironments:\n  qa:\n    cluster: [c.yml]\n    files: [d.yml]\n    secret: [x]\n',
      /^Deliveryfile:6:5 environments\.qa\.secret: unknown key; did you mean "secrets"\?/,
    ],
    [
      'an unknown key in deployment',
      'application: a/b\ndeployment:\n  mode: rolling\n  on_failure: stop\nenvironments: {qa: {cluster: [c.yml], files: [d.yml]}}\n',
      /^Deliveryfile:4:3 deployment\.on_failure: unknown key; did you mean "on-failure"\?/,
    ],
    [
      'a bad application',
      'application: Bit_Docker/teapot\nenvironments: {qa: {cluster: [c.yml], files: [d.yml]}}\n',
      /^Deliveryfile:1:14 application: group "Bit_Docker" must match/,
    ],
    ['an application with three parts', 'application: a/b/c\nenvironments: {qa: {cluster: [c.yml], files: [d.yml]}}\n', /^Deliveryfile:1:14 application: expected group\/app/],
    ['a wrong mode', 'application: a/b\ndeployment: serial\nenvironments: {qa: {cluster: [c.yml], files: [d.yml]}}\n', /^Deliveryfile:2:13 deployment: expected one of parallel, rolling, canary, got the string "serial"/],
    ['a wrong version', 'version: 2.0\napplication: a/b\nenvironments: {qa: {cluster: [c.yml], files: [d.yml]}}\n', /^Deliveryfile:1:10 version: expected version 1\.0/],
    ['a missing files list', 'application: a/b\nenvironments:\n  qa:\n    cluster: [c.yml]\n', /^Deliveryfile:4:5 environments\.qa: missing key "files"/],
    ['a missing application', 'environments:\n  qa: {cluster: [c.yml], files: [d.yml]}\n', /^Deliveryfile:1:1: missing key "application"/],
    ['a path leaving the folder', 'application: a/b\nenvironments:\n  qa:\n    cluster: [c.yml]\n    files:\n      - ../secret.yml\n', /^Deliveryfile:6:9 environments\.qa\.files\[0\]: expected a path relative/],
    ['a port out of range', 'application: a/b\nroute: {path: /a/, service: web, port: 70000}\nenvironments: {qa: {cluster: [c.yml], files: [d.yml]}}\n', /^Deliveryfile:2:40 route\.port: expected the container port of the service of at most 65535/],
    ['a route without path or host', 'application: a/b\nroute: {service: web, port: 80}\nenvironments: {qa: {cluster: [c.yml], files: [d.yml]}}\n', /^Deliveryfile:2:8 route: expected "path" \(a prefix such as \/app\/\) or "host"/],
    ['a preview template without {number}', 'application: a/b\npreview: {route: {path: /preview/}}\nenvironments: {qa: {cluster: [c.yml], files: [d.yml]}}\n', /^Deliveryfile:2:18 preview\.route: the template must contain \{number\}/],
    ['a list where a map belongs', 'application: a/b\nenvironments:\n  - qa\n', /^Deliveryfile:3:3 environments: expected a map of environments/],
    ['a string where a number belongs', 'application: a/b\nkeep: many\nenvironments: {qa: {cluster: [c.yml], files: [d.yml]}}\n', /^Deliveryfile:2:7 keep: expected releases kept on each host: a whole number from 1 to 100, got the string "many"/],
    ['a bad environment name', 'application: a/b\nenvironments:\n  "q a": {cluster: [c.yml], files: [d.yml]}\n', /^Deliveryfile:3:3 environments\["q a"\]: invalid environment name/],
    ['a bad service in images', 'application: a/b\nimages:\n  "we b": x/y\nenvironments: {qa: {cluster: [c.yml], files: [d.yml]}}\n', /^Deliveryfile:3:3 images\["we b"\]: expected a compose service name/],
    ['a wrong router', 'application: a/b\nrouter: nginx\nenvironments: {qa: {cluster: [c.yml], files: [d.yml]}}\n', /^Deliveryfile:2:9 router: expected traefik or haproxy, got the string "nginx"/],
    ['invalid YAML', 'application: a/b\nenvironments:\n  qa: [\n', /^Deliveryfile:\d+:\d+: invalid YAML: /],
    ['a duplicate key', 'application: a/b\napplication: c/d\nenvironments: {}\n', /^Deliveryfile:2:1: invalid YAML: duplicate key "application" \(map keys must be unique\)/],
    ['an empty file', '', /^Deliveryfile:1:1: the file is empty/],
    ['no environment', 'application: a/b\nenvironments: {}\n', /^Deliveryfile:2:15 environments: expected at least one environment/],
  ];
  test.each(table)('%s', async (_name, text, expected) => {
    expect(await errorOf(text)).toMatch(expected);
  });

  test('the first line is the first problem in the file; the others follow one a line', async () => {
    const msg = await errorOf('application: A/b\nkeep: 0\nrouter: x\nenvironments: {qa: {cluster: [c.yml], files: [d.yml]}}\n');
    const lines = msg.split('\n');
    expect(lines[0]).toMatch(/^Deliveryfile:1:14 application:/);
    expect(lines[1]).toMatch(/^Deliveryfile:2:7 keep: expected releases kept on each host of at least 1/);
    expect(lines[2]).toMatch(/^Deliveryfile:3:9 router:/);
  });

  test('a missing Deliveryfile says how to name it', async () => {
    await expect(loadDeliveryfile('/nonexistent/Deliveryfile')).rejects.toThrow(/\/nonexistent\/Deliveryfile: no such file; give the Deliveryfile with --file PATH/);
  });
});

describe('names', () => {
  test('group and app join with _ so different splits never collide', () => {
    expect(joinedName('a-b/c')).toBe('a-b_c');
    expect(joinedName('a/b-c')).toBe('a_b-c');
    expect(composeProjectName('bit-docker/teapot', 'blue')).toBe('bit-docker_teapot_blue');
  });
  test('did you mean finds typos and stays quiet for strangers', () => {
    expect(didYouMean('enviroments', ['environments', 'route'])).toBe('environments');
    expect(didYouMean('strip-prefix', ['strip_prefix', 'path'])).toBe('strip_prefix');
    expect(didYouMean('zzz', ['environments', 'route'])).toBeNull();
  });
});

test('anchors and merge keys work in a Deliveryfile', () => {
  const df = parseDeliveryfile('application: a/b\nx-env: &env\n  cluster: [c.yml]\n  files: [d.yml]\nenvironments:\n  qa: *env\n  prod:\n    <<: *env\n    env_files: [p.env]\n');
  expect(df.data.environments.prod).toEqual({ cluster: ['c.yml'], files: ['d.yml'], env_files: ['p.env'], secrets: [] });
});

describe('property: any input gives a Deliveryfile or one positioned ConfigurationError, never a crash', () => {
  const value = fc.letrec<{ v: unknown }>((tie) => ({
    v: fc.oneof(
      { depthSize: 'small' },
      fc.constantFrom('parallel', 'rolling', 'canary', 'a/b', 'bit-docker/teapot', '/app/', 'c.yml', '25%', 'https://x.example.org/c.yml', ''),
      fc.string({ maxLength: 8 }),
      fc.integer({ min: -5, max: 70000 }),
      fc.double({ noNaN: true }),
      fc.boolean(),
      fc.constant(null),
      fc.array(tie('v'), { maxLength: 3 }),
      fc.dictionary(
        fc.constantFrom('version', 'application', 'deployment', 'mode', 'batch', 'environments', 'qa', 'cluster', 'files', 'route', 'port', 'path', 'service', 'health', 'keep', 'router', 'images', 'ssh', 'preview', 'x'),
        tie('v'),
        { maxKeys: 4 },
      ),
    ),
  })).v;
  test('structured documents', () => {
    fc.assert(
      fc.property(value, (v) => {
        const text = stringify(v);
        try {
          parseDeliveryfile(text);
        } catch (err) {
          expect(err).toBeInstanceOf(ConfigurationError);
          expect((err as Error).message.split('\n')[0]).toMatch(/^Deliveryfile:\d+:\d+( \S+)?: \S/);
        }
      }),
      { numRuns: 400 },
    );
  });
});
