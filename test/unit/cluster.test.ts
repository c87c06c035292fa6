import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { stringify } from 'yaml';
import { ConfigurationError } from '../../src/core/errors';
import { resolveHosts } from '../../src/adapters/cluster-source';
import { loadDeliveryfile } from '../../src/adapters/load-plan';
import { hostKeyProblem, mergeHosts, parseCluster } from '../../src/core/cluster';
import { YamlSource } from '../../src/core/yaml-source';

const ED = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';
const FP = 'SHA256:' + 'a'.repeat(43);

const parse = (text: string, file = 'clusters/qa.yml') => parseCluster(new YamlSource(file, text));

describe('cluster files', () => {
  test('hosts as host[:port] strings, objects, IPv6 and user@', () => {
    const hosts = parse(
      `http_port: 8080
hosts:
  - web1.example.org
  - web2.example.org:2222
  - "[::1]:2200"
  - ops@10.0.0.4
  - host: 127.60.0.11
    port: 2022
    user: deploy
    name: h1
    http_port: 9090
    host_keys:
      - ${ED} comment
      - ${FP}
`,
    );
    expect(hosts.map((h) => [h.name, h.host, h.port, h.user, h.httpPort])).toEqual([
      ['web1.example.org', 'web1.example.org', 22, undefined, 8080],
      ['web2.example.org:2222', 'web2.example.org', 2222, undefined, 8080],
      ['[::1]:2200', '::1', 2200, undefined, 8080],
      ['10.0.0.4', '10.0.0.4', 22, 'ops', 8080],
      ['h1', '127.60.0.11', 2022, 'deploy', 9090],
    ]);
    expect(hosts[4].hostKeys).toEqual([`${ED} comment`, FP]);
    expect(hosts[0].source).toBe('clusters/qa.yml');
  });

  test('a bare list is accepted; an empty file is no host', () => {
    expect(parse('- a.example.org\n- b.example.org:23\n').map((h) => h.name)).toEqual(['a.example.org', 'b.example.org:23']);
    expect(parse('')).toEqual([]);
    expect(parse('# nothing yet\n')).toEqual([]);
    expect(parse('hosts: []\n')).toEqual([]);
  });

  test.each([
    ['hosts:\n  - web1\n  - web_2.example.org\n', /^clusters\/qa\.yml:3:5 hosts\[1\]: invalid host "web_2\.example\.org"/],
    ['hosts:\n  - web1:70000\n', /^clusters\/qa\.yml:2:5 hosts\[0\]: invalid port "70000": expected a whole number from 1 to 65535/],
    ['hosts:\n  - host: web1\n    port: 0\n', /^clusters\/qa\.yml:3:11 hosts\[0\]\.port: invalid port 0/],
    ['hosts:\n  - host: 300.1.1.1\n', /^clusters\/qa\.yml:2:11 hosts\[0\]\.host: invalid host "300\.1\.1\.1"/],
    ['hosts:\n  - hots: web1\n', /^clusters\/qa\.yml:2:5 hosts\[0\]\.hots: unknown key; did you mean "host"\?/],
    ['host:\n  - web1\n', /^clusters\/qa\.yml:1:1 host: unknown key; did you mean "hosts"\?/],
    ['hosts:\n  - host: web1\n    host_keys: [ssh-dss AAAAB3]\n', /^clusters\/qa\.yml:3:17 hosts\[0\]\.host_keys\[0\]: expected a public key/],
    ['hosts: web1\n', /^clusters\/qa\.yml:1:8 hosts: expected a list of hosts/],
    ['hosts:\n  - [web1]\n', /^clusters\/qa\.yml:2:5 hosts\[0\]: expected host\[:port\]/],
    ['hosts:\n  - host: web1\n    user: Root!\n', /^clusters\/qa\.yml:3:11 hosts\[0\]\.user: invalid user "Root!"/],
    ['hosts: [web1\n', /^clusters\/qa\.yml:\d+:\d+: invalid YAML/],
  ])('%j is refused with file, line, column and index', (text, expected) => {
    expect(() => parse(text)).toThrow(expected);
  });

  test('host keys: known_hosts style keys and SHA256 fingerprints', () => {
    expect(hostKeyProblem(ED)).toBeNull();
    expect(hostKeyProblem(FP)).toBeNull();
    expect(hostKeyProblem(`web1 ${ED}`)).toMatch(/without the host names in front/);
    expect(hostKeyProblem('SHA256:short')).toMatch(/fingerprint/);
  });
});

describe('merging', () => {
  test('entries merge in order, duplicates by address and port collapse, host keys combine', () => {
    const a = parse(`hosts:\n  - host: web1.example.org\n    host_keys: ["${ED}"]\n  - web2.example.org\n`, 'a.yml');
    const b = parse(`- web2.example.org\n- host: WEB1.example.org\n  host_keys: ["${FP}"]\n- web1.example.org:2222\n- web3.example.org\n`, 'b.yml');
    const merged = mergeHosts([a, b]);
    expect(merged.map((h) => `${h.host}:${h.port}@${h.source}`)).toEqual([
      'web1.example.org:22@a.yml',
      'web2.example.org:22@a.yml',
      'web1.example.org:2222@b.yml',
      'web3.example.org:22@b.yml',
    ]);
    expect(merged[0].hostKeys).toEqual([ED, FP]);
    expect(a[0].hostKeys).toEqual([ED]); // inputs are not changed
  });

  test('two different hosts may not share a name', () => {
    const a = parse('- host: 10.0.0.1\n  name: web\n', 'a.yml');
    const b = parse('- host: 10.0.0.2\n  name: web\n', 'b.yml');
    expect(() => mergeHosts([a, b])).toThrow(/host name "web" is used by two hosts: 10\.0\.0\.1:22 \(a\.yml\) and 10\.0\.0\.2:22 \(b\.yml\)/);
  });
});

describe('resolving an environment from files on disk', () => {
  function world(files: Record<string, string>): string {
    const dir = mkdtempSync(path.join(tmpdir(), 'cluster-'));
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      writeFileSync(path.join(dir, name), text);
    }
    return dir;
  }

  test('paths relative to the Deliveryfile, inline hosts, de-duplicated, ssh.port as the default port', async () => {
    const dir = world({
      'deploy/Deliveryfile': `application: a/b
ssh: {port: 2222}
environments:
  qa:
    cluster:
      - ../clusters/qa.yml
      - hosts: [web2.example.org, web3.example.org:22]
    files: [c.yml]
`,
      'clusters/qa.yml': 'hosts:\n  - web1.example.org\n  - web2.example.org\n',
    });
    const df = await loadDeliveryfile(path.join(dir, 'deploy/Deliveryfile'));
    const hosts = await resolveHosts(df, 'qa');
    expect(hosts.map((h) => `${h.name} ${h.host}:${h.port}`)).toEqual([
      'web1.example.org web1.example.org:2222',
      'web2.example.org web2.example.org:2222',
      'web3.example.org:22 web3.example.org:22',
    ]);
    expect(hosts[2].source).toMatch(/Deliveryfile \(inline\)$/);
  });

  test('an empty cluster is an error naming its sources', async () => {
    const dir = world({
      Deliveryfile: 'application: a/b\nenvironments:\n  qa:\n    cluster:\n      - empty.yml\n      - none.yml\n      - hosts: []\n    files: [c.yml]\n',
      'empty.yml': '',
      'none.yml': 'hosts: []\n',
    });
    const df = await loadDeliveryfile(path.join(dir, 'Deliveryfile'));
    const err = await resolveHosts(df, 'qa').catch((e: Error) => e);
    expect((err as Error).message.split(dir + '/').join('')).toMatch(
      /^Deliveryfile:5:7 environments\.qa\.cluster: the cluster resolves to no host \(sources: \S*empty\.yml, \S*none\.yml, Deliveryfile \(inline\)\)/,
    );
  });

  test('a missing cluster file names the Deliveryfile position; plain http is refused', async () => {
    const dir = world({
      Deliveryfile: 'application: a/b\nenvironments:\n  qa:\n    cluster: [nope.yml]\n    files: [c.yml]\n  prod:\n    cluster:\n      - http://example.org/c.yml\n    files: [c.yml]\n',
    });
    const df = await loadDeliveryfile(path.join(dir, 'Deliveryfile'));
    await expect(resolveHosts(df, 'qa')).rejects.toThrow(/Deliveryfile:4:15 environments\.qa\.cluster\[0\]: file not found: nope\.yml/);
    await expect(resolveHosts(df, 'prod')).rejects.toThrow(/Deliveryfile:8:9 environments\.prod\.cluster\[0\]: only https:\/\/ cluster URLs are fetched/);
  });

  test('an invalid host in a cluster file names that file and index', async () => {
    const dir = world({
      Deliveryfile: 'application: a/b\nenvironments:\n  qa:\n    cluster: [c/qa.yml]\n    files: [c.yml]\n',
      'c/qa.yml': 'hosts:\n  - ok.example.org\n  - bad host\n',
    });
    const df = await loadDeliveryfile(path.join(dir, 'Deliveryfile'));
    await expect(resolveHosts(df, 'qa')).rejects.toThrow(/c\/qa\.yml:3:5 hosts\[1\]: invalid host "bad host"/);
  });
});

test('property: any cluster document gives hosts with valid ports or one positioned error', () => {
  const host = fc.oneof(
    fc.string({ maxLength: 20 }),
    fc.constantFrom('web1', 'web1:22', '[::1]:22', 'a@b', 'web1:0', 'web1:x', '10.0.0.1', ''),
    fc.record({ host: fc.oneof(fc.string({ maxLength: 10 }), fc.integer()), port: fc.oneof(fc.integer({ min: -1, max: 70000 }), fc.string({ maxLength: 5 })) }, { requiredKeys: [] }),
    fc.integer(),
    fc.constant(null),
  );
  const doc = fc.oneof(fc.array(host, { maxLength: 4 }), fc.record({ hosts: fc.array(host, { maxLength: 4 }), http_port: fc.integer({ min: 0, max: 70000 }) }, { requiredKeys: [] }));
  fc.assert(
    fc.property(doc, (d) => {
      let hosts;
      try {
        hosts = parseCluster(new YamlSource('c.yml', stringify(d)));
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigurationError);
        expect((err as Error).message).toMatch(/^c\.yml:\d+:\d+( \S+)?: \S/);
        return;
      }
      for (const h of hosts) {
        expect(h.port).toBeGreaterThanOrEqual(1);
        expect(h.port).toBeLessThanOrEqual(65535);
        expect(h.host).toMatch(/^[A-Za-z0-9.:-]+$/);
      }
    }),
    { numRuns: 400 },
  );
});
