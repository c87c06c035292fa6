/**
 * The merged model the checks run on, compared with what the real
 * `docker compose config` makes of the same files: for each scenario the
 * services, and per service whether it has build, its image, container
 * name, published host ports, mount targets and profiles.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { mergedServices } from '../../src/core/compose';
import { YamlSource } from '../../src/core/yaml-source';

const hasCompose = (() => {
  try {
    execFileSync('docker', ['compose', 'version'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
})();
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

interface Facts {
  build: boolean;
  image: string | null;
  container_name: string | null;
  ports: number;
  published: string[];
  targets: string[];
  profiles: string[];
  command: unknown;
}

function factsOf(s: Record<string, unknown>): Facts {
  const ports = Array.isArray(s.ports) ? s.ports : [];
  const published = ports
    .map((p) => {
      if (typeof p === 'object' && p) return String((p as { published?: unknown }).published ?? '');
      const parts = String(p).replace(/\/\w+$/, '').split(':');
      return parts.length > 1 ? parts[parts.length - 2] : '';
    })
    .filter(Boolean)
    .sort();
  const vols = Array.isArray(s.volumes) ? s.volumes : [];
  const targets = vols.map((v) => (typeof v === 'string' ? (v.split(':')[1] ?? v) : String((v as { target: unknown }).target))).sort();
  return {
    build: s.build !== undefined && s.build !== null,
    image: typeof s.image === 'string' ? s.image : null,
    container_name: typeof s.container_name === 'string' ? s.container_name : null,
    ports: ports.length,
    published,
    targets,
    profiles: Array.isArray(s.profiles) ? s.profiles.map(String).sort() : [],
    command: s.command ?? null,
  };
}

const scenarios: [string, Record<string, string>][] = [
  [
    '!reset strips build, ports and container_name; !override replaces ports',
    {
      'compose.yml': 'services:\n  web:\n    build: .\n    image: shop/web:1\n    ports: ["80:8080", "443:8443"]\n    container_name: web\n  db:\n    image: postgres:16\n    ports: ["5432:5432"]\n',
      'compose.deploy.yml': 'services:\n  web:\n    build: !reset null\n    ports: !reset []\n    container_name: !reset null\n  db:\n    ports: !override ["5432"]\n',
    },
  ],
  [
    'lists are appended, mounts merged by target, command replaced',
    {
      'compose.yml': 'services:\n  web:\n    image: a:1\n    command: [run, a]\n    ports: ["8080"]\n    volumes: ["./a:/etc/a:ro", "data:/data"]\nvolumes:\n  data: {}\n',
      'compose.deploy.yml': 'services:\n  web:\n    image: a:2\n    command: [run, b]\n    ports: ["9090"]\n    volumes: ["./b:/etc/a:ro", "./c:/etc/c:ro"]\n',
    },
  ],
  [
    'extends in the file and from another file, then overridden',
    {
      'compose.yml': 'services:\n  base:\n    image: base:1\n    ports: ["8080"]\n  web:\n    extends: base\n    container_name: w\n  job:\n    extends: {file: more/common.yml, service: tmpl}\n    command: [go]\n',
      'more/common.yml': 'services:\n  tmpl:\n    image: tmpl:1\n    volumes: ["./conf:/conf:ro"]\n    profiles: [jobs]\n',
      'compose.deploy.yml': 'services:\n  web:\n    container_name: !reset null\n',
    },
  ],
  [
    'published ports of both files are kept (and would be refused)',
    {
      'compose.yml': 'services:\n  web:\n    image: a:1\n    ports: ["80:8080"]\n',
      'compose.deploy.yml': 'services:\n  web:\n    ports: ["127.0.0.1:8443:8443", {target: 9000, published: "9001"}]\n',
    },
  ],
  [
    'YAML anchors and merge keys across services',
    {
      'compose.yml': 'x-common: &common\n  image: shared:1\n  ports: ["7000"]\nservices:\n  a:\n    <<: *common\n  b:\n    <<: *common\n    image: own:1\n',
    },
  ],
];

test.runIf(hasCompose).each(scenarios)('%s: as docker compose config merges it', (_name, tree) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'compose-merge-'));
  dirs.push(dir);
  for (const [p, text] of Object.entries(tree)) {
    mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
    writeFileSync(path.join(dir, p), text);
  }
  const listed = Object.keys(tree).filter((p) => !p.includes('/'));
  const files = listed.map((p) => ({ path: p, source: new YamlSource(p, tree[p], { composeTags: true }) }));
  const extended = new Map(Object.keys(tree).filter((p) => p.includes('/')).map((p) => [p, new YamlSource(p, tree[p], { composeTags: true })]));
  const ours = Object.fromEntries([...mergedServices(files, extended)].map(([n, s]) => [n, factsOf(s)]));

  const args = ['compose', '--project-directory', dir, ...listed.flatMap((f) => ['-f', path.join(dir, f)]), '--profile', '*', 'config', '--format', 'json', '--no-interpolate'];
  const real = JSON.parse(execFileSync('docker', args, { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } })) as { services: Record<string, Record<string, unknown>> };
  const theirs = Object.fromEntries(
    Object.entries(real.services).map(([n, s]) => {
      const f = factsOf(s);
      return [n, { ...f, published: f.published.map(String) }];
    }),
  );
  expect(Object.keys(ours).sort()).toEqual(Object.keys(theirs).sort());
  if (process.env.SHOW_MERGE) console.log(JSON.stringify({ ours, theirs }));
  for (const n of Object.keys(theirs)) expect(ours[n], n).toEqual(theirs[n]);
});
