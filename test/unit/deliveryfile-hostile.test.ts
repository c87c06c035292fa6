/**
 * The YAML reader under hostile input, and names that are also names of
 * Object.prototype: unit level (the CLI runs are in hostile-inputs.test.ts).
 */
import { describe, expect, test } from 'vitest';
import { rolloutEnv } from '../../src/core/bundle';
import { parseDeliveryfile, environmentOf } from '../../src/core/deliveryfile';
import { parseDotenv } from '../../src/core/dotenv';
import { ConfigurationError } from '../../src/core/errors';
import type { Manifest } from '../../src/core/types';
import { MAX_YAML_BYTES, Tagged, YamlSource } from '../../src/core/yaml-source';

const ENVS = 'environments:\n  qa:\n    cluster: [{hosts: [h1]}]\n    files: [c.yml]\n';

describe('YamlSource', () => {
  test('an alias bomb stops at the alias budget with a positioned line', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++) levels.push(`l${i}: &l${i} [${Array(10).fill(i === 1 ? '*a' : `*l${i - 1}`).join(', ')}]`);
    expect(() => new YamlSource('c.yml', levels.join('\n') + '\n')).toThrow(/^c\.yml:\d+:\d+: aliases expand to more than 100000 nodes \(a YAML alias bomb\?\); refused$/);
  });

  test('aliases used a normal number of times are fine, merge keys follow YAML 1.1 (own keys win)', () => {
    const s = new YamlSource('c.yml', 'x: &x {a: 1, b: 2}\ny: &y {c: 3}\nz:\n  <<: [*x, *y]\n  b: 9\n');
    expect(JSON.parse(JSON.stringify(s.data))).toEqual({ x: { a: 1, b: 2 }, y: { c: 3 }, z: { b: 9, a: 1, c: 3 } });
  });

  test('duplicate keys are an error at the second key; a self-referencing alias too', () => {
    expect(() => new YamlSource('c.yml', 'a:\n  b: 1\n  b: 2\n')).toThrow('c.yml:3:3: invalid YAML: duplicate key "b" (map keys must be unique)');
    expect(() => new YamlSource('c.yml', 'a: &a [*a]\n')).toThrow(ConfigurationError);
  });

  test('the size is checked before parsing', () => {
    expect(() => new YamlSource('c.yml', '#'.repeat(MAX_YAML_BYTES + 1))).toThrow(/^c\.yml: the file is 1\.0 MiB, over the limit of 1\.0 MiB; refused before parsing$/);
  });

  test('maps have no prototype: __proto__ and constructor are plain keys', () => {
    const d = new YamlSource('c.yml', '__proto__: {polluted: 1}\nconstructor: 2\n').data as Record<string, unknown>;
    expect(Object.getPrototypeOf(d)).toBe(null);
    expect(Object.keys(d)).toEqual(['__proto__', 'constructor']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test('!reset and !override are kept as Tagged for compose files, plain values otherwise', () => {
    const text = 'a: !reset null\nb: !override [1]\nc: !reset []\n';
    const d = new YamlSource('c.yml', text, { composeTags: true }).data as Record<string, unknown>;
    expect(d.a).toEqual(new Tagged('!reset', null));
    expect(d.b).toEqual(new Tagged('!override', [1]));
    expect(d.c).toEqual(new Tagged('!reset', []));
    expect((new YamlSource('c.yml', text).data as Record<string, unknown>).b).toEqual([1]);
  });
});

describe('names that Object.prototype also has', () => {
  test.each(['constructor', 'toString', 'hasOwnProperty'])('an environment called %s is found only when it exists', (name) => {
    const df = parseDeliveryfile(`application: a/b\n${ENVS.replace('qa:', `${name}:`)}`);
    expect(environmentOf(df, name).files).toEqual(['c.yml']);
    const other = parseDeliveryfile(`application: a/b\n${ENVS}`);
    expect(() => environmentOf(other, name)).toThrow(`Deliveryfile:3:3 environments: no environment ${JSON.stringify(name)} (there are: qa)`);
  });

  test('--env __proto__ is not found', () => {
    expect(() => environmentOf(parseDeliveryfile(`application: a/b\n${ENVS}`), '__proto__')).toThrow('no environment "__proto__" (there are: qa)');
  });

  test('images: keeps a service called constructor; __proto__ is refused like any name the schema does not allow (it used to vanish)', () => {
    const df = parseDeliveryfile(`application: a/b\nimages:\n  constructor: r.example.org/a/c\n${ENVS}`);
    expect(Object.entries(df.data.images)).toEqual([['constructor', 'r.example.org/a/c']]);
    expect(() => parseDeliveryfile(`application: a/b\nimages:\n  __proto__: r.example.org/a/b\n${ENVS}`)).toThrow(/^Deliveryfile:3:3 images\.__proto__: invalid name "__proto__"/);
    expect(() => parseDeliveryfile(`application: a/b\nimages:\n  constructor: NOT:A:REPO\n${ENVS}`)).toThrow(/^Deliveryfile:3:16 images\.constructor: expected an image repository/);
  });

  test('an environment key __proto__ is refused like any bad name', () => {
    expect(() => parseDeliveryfile(`application: a/b\n${ENVS}  __proto__:\n    cluster: [{hosts: [h1]}]\n    files: [c.yml]\n`)).toThrow(/environments\.__proto__: invalid name "__proto__"/);
  });

  test('dotenv secrets called constructor or __proto__ are own values', () => {
    const v = parseDotenv('constructor=a\n__proto__=b\n', 'secrets');
    expect(Object.hasOwn(v, 'constructor') && Object.hasOwn(v, '__proto__')).toBe(true);
    expect([v.constructor, v.__proto__]).toEqual(['a', 'b']);
    expect(Object.hasOwn(parseDotenv('', 'secrets'), 'constructor')).toBe(false);
  });
});

test('rollout.env carries ROLLBACK_WINDOW only when the Deliveryfile sets it', () => {
  const m: Manifest = {
    schema: 1, application: 'a/b', environment: 'qa', release: 'r1', created: '1970-01-01T00:00:00.000Z', git: { sha: null, ref: null },
    compose_files: ['c.yml'], env_files: [], services: ['web'], images: {}, route: null, health: { timeout: null, stable: null, path: null },
    keep: null, router: null, secrets: [], registry: null,
  };
  expect(rolloutEnv(m)).not.toContain('ROLLBACK_WINDOW');
  expect(rolloutEnv({ ...m, rollback_window: 0 })).toMatch(/^ROLLBACK_WINDOW=0$/m);
  expect(rolloutEnv({ ...m, rollback_window: 600 })).toMatch(/^ROLLBACK_WINDOW=600$/m);
  expect(parseDeliveryfile(`application: a/b\nrollback_window: 120\n${ENVS}`).data.rollback_window).toBe(120);
  expect(() => parseDeliveryfile(`application: a/b\nrollback_window: 1.5\n${ENVS}`)).toThrow(/^Deliveryfile:2:18 rollback_window: expected seconds the old color stays up after a switch \(0: off\): a whole number/);
});

test('deep nesting is one line, not a stack overflow', () => {
  for (const d of [300, 5000]) {
    expect(() => new YamlSource('c.yml', `a: ${'['.repeat(d)}${']'.repeat(d)}\n`)).toThrow(/^c\.yml:1:\d+: invalid YAML: (nested more than 200 levels deep|nested too deeply)$/);
  }
  let block = 'a:\n';
  for (let i = 1; i < 400; i++) block += `${'  '.repeat(i)}- \n`;
  expect(() => new YamlSource('c.yml', block)).toThrow(ConfigurationError);
});
