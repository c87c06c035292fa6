import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { checkCompose, parsePinnedImages, repositoryOf, type ComposeCheckOptions } from '../../src/core/compose';
import type { Route } from '../../src/core/types';
import { YamlSource } from '../../src/core/yaml-source';

const D = 'a'.repeat(64);
const D2 = 'b'.repeat(64);
const route: Route = { service: 'web', port: 8080, path: '/app/', host: null, strip_prefix: false };
const opts = (o: Partial<ComposeCheckOptions> = {}): ComposeCheckOptions => ({
  route: null,
  router: null,
  repositories: {},
  pinned: { byService: new Map(), byRepository: new Map() },
  ...o,
});
const file = (text: string, name = 'docker-compose.yml') => ({ path: name, source: new YamlSource(name, text, { composeTags: true }) });

describe('compose checks', () => {
  test('the seed compose file plans with warnings: a tag, and Traefik v1 labels with their v3 equivalent', () => {
    const p = path.join(__dirname, '../fixtures/foundation/seed/docker-compose-qa.yml');
    const c = checkCompose([{ path: 'docker-compose-qa.yml', source: new YamlSource('docker-compose-qa.yml', readFileSync(p, 'utf8')) }], opts());
    expect(c.services).toEqual(['web']);
    expect(c.images).toEqual({});
    expect(c.warnings[0]).toMatch(/^docker-compose-qa\.yml:4:12 services\.web\.image: image bit-registry\.1and1\.org\/bbc\/frontend:latest is a tag, not a digest/);
    expect(c.traefikV1.map((t) => t.label)).toEqual(['traefik.backend', 'traefik.frontend.rule', 'traefik.port']);
    const rule = c.warnings.find((w) => w.includes('traefik.frontend.rule'))!;
    expect(rule).toMatch(/^docker-compose-qa\.yml:22:9 services\.web\.labels\[1\]: traefik\.frontend\.rule is a Traefik v1 label/);
    expect(rule).toContain('traefik.http.routers.${DELIVERY_NAME}.rule=PathPrefix(`/streams`)');
    expect(rule).toContain('stripprefix.prefixes=/streams');
    expect(c.warnings.find((w) => w.includes('traefik.port is'))).toContain('loadbalancer.server.port=8443');
  });

  test('with router: traefik the v1 labels are an error', () => {
    const f = file('services:\n  web:\n    image: x@sha256:' + D + '\n    labels:\n      traefik.frontend.rule: "Host:shop.example.org"\n');
    expect(() => checkCompose([f], opts({ router: 'traefik' }))).toThrow(
      /^docker-compose\.yml:5:30 services\.web\.labels\["traefik\.frontend\.rule"\]: traefik\.frontend\.rule is a Traefik v1 label.*Host\(`shop\.example\.org`\)/,
    );
  });

  test.each([
    ['build without an image', 'services:\n  web:\n    build: .\n', /^docker-compose\.yml:3:5 services\.web: no image: it only has "build:", and hosts never build/],
    ['container_name', 'services:\n  db:\n    image: db:1\n    container_name: db\n', /^docker-compose\.yml:4:5 services\.db\.container_name: both colors run side by side/],
    ['ports on the routed service', 'services:\n  web:\n    image: w:1\n    ports: ["80:8080"]\n', /^docker-compose\.yml:4:5 services\.web\.ports: the routed service must not publish ports/],
    ['no image', 'services:\n  web:\n    environment: {A: 1}\n', /^docker-compose\.yml:3:5 services\.web: no image: give "image:" \(the image the hosts pull\)$/],
    ['no services', 'version: "3"\n', /no services/],
    ['a bad service name', 'services:\n  "w b":\n    image: x\n', /^docker-compose\.yml:2:3 services\["w b"\]: invalid service name/],
  ])('%s is an error', (_n, text, expected) => {
    expect(() => checkCompose([file(text)], opts({ route }))).toThrow(expected);
  });

  test('a fixed host port on another service is refused, with the fix', () => {
    expect(() => checkCompose([file('services:\n  web:\n    image: w:1\n  admin:\n    image: a:1\n    ports: ["9000:9000"]\n')], opts({ route }))).toThrow(
      /^docker-compose\.yml:6:5 services\.admin\.ports: fixed host port 9000 \("9000:9000"\): during a deploy both colors run side by side.*publish the container port alone.*"ports: !reset \[\]"/,
    );
  });

  test('the route must name a service of the compose files', () => {
    const df = new YamlSource('Deliveryfile', 'route:\n  service: api\n  port: 80\n  path: /a/\n');
    expect(() => checkCompose([file('services:\n  web:\n    image: w:1\n')], opts({ route: { ...route, service: 'api' }, deliveryfile: df }))).toThrow(
      /^Deliveryfile:2:12 route\.service: "api" is not a service of the compose files \(services: web\)/,
    );
  });

  test('services, logging and healthcheck sets over several files', () => {
    const base = file('services:\n  web:\n    image: w:1\n    healthcheck: {test: [CMD, "true"]}\n  worker:\n    image: k:1\n', 'compose.yml');
    const over = file('services:\n  worker:\n    logging: {driver: none}\n  cron:\n    image: c:1\n    healthcheck: {disable: true}\n', 'compose.qa.yml');
    const c = checkCompose([base, over], opts());
    expect(c.services).toEqual(['web', 'worker', 'cron']);
    expect(c.loggingSet).toEqual(['worker']);
    expect(c.healthcheckSet).toEqual(['web']);
  });
});

describe('image pinning', () => {
  test('a compose digest is kept; the build step digest is substituted by repository or by service', () => {
    const f = file(
      `services:
  web:
    image: registry.example.org:5000/shop/web:latest
  api:
    image: registry.example.org:5000/shop/api@sha256:${D}
  worker:
    image: registry.example.org:5000/shop/web:v1
  cron:
    image: other/cron:1
`,
    );
    const pinned = parsePinnedImages(`registry.example.org:5000/shop/web:sha-abc@sha256:${D2}\ncron=other/cron@sha256:${D}\n`);
    const c = checkCompose([f], opts({ pinned }));
    expect(c.images).toEqual({
      web: `registry.example.org:5000/shop/web@sha256:${D2}`,
      api: `registry.example.org:5000/shop/api@sha256:${D}`,
      worker: `registry.example.org:5000/shop/web@sha256:${D2}`,
      cron: `other/cron@sha256:${D}`,
    });
    expect(c.warnings).toEqual([]);
  });

  test('the Deliveryfile images: map links a service to the repository the build step pushed', () => {
    const f = file('services:\n  web:\n    image: shop-web:dev\n');
    const c = checkCompose([f], opts({ repositories: { web: '127.0.0.1:5000/shop/web' }, pinned: parsePinnedImages(`127.0.0.1:5000/shop/web@sha256:${D}`) }));
    expect(c.images).toEqual({ web: `127.0.0.1:5000/shop/web@sha256:${D}` });
  });

  test('a digest that matches nothing is a warning; a malformed line an error', () => {
    const c = checkCompose([file(`services:\n  web:\n    image: w@sha256:${D}\n`)], opts({ pinned: parsePinnedImages(`x/y@sha256:${D}`) }));
    expect(c.warnings[0]).toMatch(/^--images: x\/y@sha256:a+ matches no service's image/);
    expect(() => parsePinnedImages('x/y:latest')).toThrow(/^--images line 1: expected repo@sha256:<64 hex>/);
    expect(() => checkCompose([file('services:\n  web:\n    image: w:1\n')], opts({ pinned: parsePinnedImages(`api=x@sha256:${D}`) }))).toThrow(/"api" is not a service/);
  });

  test('repositoryOf strips tag and digest but keeps a registry port', () => {
    expect(repositoryOf('127.0.0.1:5000/a/b:v1')).toBe('127.0.0.1:5000/a/b');
    expect(repositoryOf(`127.0.0.1:5000/a/b@sha256:${D}`)).toBe('127.0.0.1:5000/a/b');
    expect(repositoryOf('127.0.0.1:5000/a/b')).toBe('127.0.0.1:5000/a/b');
    expect(repositoryOf('busybox')).toBe('busybox');
  });
});

test('YAML merge keys (<<: *anchor) are followed, as compose does', () => {
  const f = file('x-base: &base\n  build: .\n  init: true\nservices:\n  web:\n    <<: *base\n    image: w:1\n');
  expect(checkCompose([f], opts()).notes).toEqual([expect.stringMatching(/^build: ignored for web: hosts never build/)]);
  const g = file('x-log: &log\n  logging: {driver: none}\nservices:\n  web:\n    <<: *log\n    image: w:1\n');
  expect(checkCompose([g], opts()).loggingSet).toEqual(['web']);
});

test('include: is refused; env_file is a reference, relative to the project folder', () => {
  expect(() => checkCompose([file('include: [other.yml]\nservices:\n  web:\n    image: w:1\n')], opts())).toThrow(/^docker-compose\.yml:1:1 include: the bundle ships only the files the Deliveryfile lists/);
  const c = checkCompose([file('services:\n  web:\n    image: w@sha256:' + D + '\n    env_file: [env/a.env, ./env/b.env]\n', 'deploy/docker-compose.yml')], opts());
  expect(c.references.map((r) => [r.path, r.local, r.kind])).toEqual([
    ['env/a.env', 'deploy/env/a.env', 'env_file'],
    ['env/b.env', 'deploy/env/b.env', 'env_file'],
    ['.env', 'deploy/.env', 'dotenv'],
  ]);
});
