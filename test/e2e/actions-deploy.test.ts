/**
 * The actions as the runner runs them, against the test world (ID 31, two
 * hosts): build-push builds test/world/app and pushes it to the world's
 * registry (password); deploy ships that digest to every host (whose deploy
 * user has no registry login, so the pull proves the credentials came in
 * the bundle); rollback by workflow_dispatch, to the previous release and
 * to a named one; then the CLI from a Jenkins-like shell, with the key in
 * an ssh-agent and the step's script taken from jenkins/vars; then
 * previews on pull_request events (opened, synchronize, closed) with the
 * GitHub API served by a local HTTP server.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createServer, get as httpGet, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { startWorld, type World } from '../world/world';
import { ROOT, buildBundles, cleanup, runAction, secretNeedles, type ActionRun } from './actions-runner';

/** DELIVERY_TEST_WORLD_ID runs it on another world (when 31 is in use). */
const ID = Number(process.env.DELIVERY_TEST_WORLD_ID ?? 31);
const DIR = path.join(ROOT, '.tmp', `actions-deploy-${ID}`);
const SHA = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const DB_PASSWORD = 'db-Secret-Value-31x';

let world: World;
let bundles: string;
let image: string;
let sshKey: string;
let knownHosts: string;
const refs: Record<string, string> = {};
const releases: string[] = [];

const pushEvent = (sha: string) => ({
  name: 'push',
  payload: {
    ref: 'refs/heads/main',
    after: sha,
    repository: { full_name: 'acme/shop', default_branch: 'main', html_url: 'https://github.com/acme/shop' },
    head_commit: { id: sha },
  },
});
const dispatchEvent = (inputs: Record<string, string>) => ({
  name: 'workflow_dispatch',
  payload: { ref: 'refs/heads/main', inputs, repository: { full_name: 'acme/shop', default_branch: 'main' } },
});

function noSecrets(r: ActionRun, ...more: string[]) {
  const dockerAuth = Buffer.from(`${world.registryUser}:${world.registryPassword}`).toString('base64');
  for (const needle of secretNeedles(world.registryPassword, dockerAuth, sshKey, DB_PASSWORD, ...more)) {
    expect(r.all.includes(needle), `a secret (${needle.slice(0, 3)}…) appears in the step's output`).toBe(false);
  }
}

/** One GET on a fresh connection (no keep-alive pool: a pooled socket the router closed while idle is not a failure of the app). */
function get(url: string): Promise<string> {
  return new Promise((resolve) => {
    const req = httpGet(url, { agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(`${res.statusCode} ${body.trim()}`));
      res.on('error', (e) => resolve(`error ${e.message}`));
    });
    req.on('timeout', () => req.destroy(new Error('timed out after 5 s')));
    req.on('error', (e: NodeJS.ErrnoException) => resolve(`error ${e.code ?? ''} ${e.message}`));
  });
}

/** What each host serves on the app's route, and the image its containers run. */
async function fleetState(): Promise<{ body: string; images: string[] }[]> {
  // rollout stops the old color after its result, still under the app's lock: wait for that lock
  for (const h of world.hosts) {
    const lock = path.join(h.stateDir, 'actions-e2e', 'app', 'lock');
    spawnSync('flock', ['-w', '60', lock, 'true'], { stdio: 'ignore' });
  }
  // The image reference each running container was created from (docker ps shows only the repository).
  const ids = execFileSync('docker', ['ps', '-q', '--filter', 'label=com.docker.compose.project'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  const rows = ids.length
    ? execFileSync('docker', ['inspect', '--format', '{{.Config.Image}}\t{{index .Config.Labels "com.docker.compose.project"}}', ...ids], { encoding: 'utf8' }).split('\n')
    : [];
  return Promise.all(
    world.hosts.map(async (h) => ({
      body: await get(`http://${h.addr}:${h.httpPort}/app/`),
      images: rows
        .filter((l) => l.split('\t')[1]?.startsWith(world.projectPrefix(h) + 'actions-e2e'))
        .map((l) => l.split('\t')[0]),
    })),
  );
}

function buildPush(version: string, password: string): Promise<ActionRun> {
  return runAction(
    bundles,
    'build-push',
    {
      image,
      context: 'test/world/app',
      'build-args': `VERSION=${version}`,
      latest: 'true',
      'registry-username': world.registryUser,
      'registry-password': password,
    },
    pushEvent(SHA),
    { GITHUB_SHA: SHA, GITHUB_REF: 'refs/heads/main' },
  );
}

function fleetInputs(): Record<string, string> {
  return {
    environment: 'prod',
    deliveryfile: path.join(DIR, 'Deliveryfile'),
    'ssh-key': sshKey,
    'known-hosts': knownHosts,
    'insecure-skip-host-key-check': 'false',
    timeout: '120',
  };
}

function deploy(version: string): Promise<ActionRun> {
  return runAction(
    bundles,
    'deploy',
    {
      ...fleetInputs(),
      images: refs[version],
      'registry-username': world.registryUser,
      'registry-password': world.registryPassword,
      secrets: `db_password=${DB_PASSWORD}\n`,
    },
    pushEvent(SHA),
    { GITHUB_SHA: SHA, GITHUB_REF: 'refs/heads/main' },
  );
}

beforeAll(async () => {
  [world, bundles] = await Promise.all([startWorld({ id: ID, hosts: 2 }), buildBundles()]);
  image = `${world.registry}/actions-e2e/app`;
  sshKey = readFileSync(world.sshKeyPath, 'utf8');
  knownHosts = readFileSync(world.knownHostsPath, 'utf8');
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  writeFileSync(
    path.join(DIR, 'Deliveryfile'),
    YAML.stringify({
      version: 1.0,
      application: 'actions-e2e/app',
      router: 'haproxy',
      registry: world.registry,
      route: { service: 'web', port: 8080, path: '/app/', strip_prefix: true },
      health: { path: '/health', timeout: 30, stable: 1 },
      images: { web: image },
      preview: { route: { path: '/pr-{number}/' }, url: `http://${world.hosts[0].addr}:${world.hosts[0].httpPort}/pr-{number}/` },
      environments: {
        prod: { cluster: [world.clusterFile], files: ['compose.yml'], secrets: ['db_password'] },
        qa: { cluster: [world.clusterFile], files: ['compose.yml'] },
      },
    }),
  );
  writeFileSync(path.join(DIR, 'compose.yml'), `services:\n  web:\n    image: ${image}:main\n    init: true\n`);
});

afterAll(async () => {
  if (bundles) cleanup(bundles);
  rmSync(DIR, { recursive: true, force: true });
  await world?.stop();
  // Belt and braces: this world's app containers and networks, whatever world.sh down did.
  spawnSync('sh', ['-c', `docker ps -a --format '{{.ID}} {{.Label "com.docker.compose.project"}}' | awk '$2 ~ /^w${ID}h[0-9]+-/ {print $1}' | xargs -r docker rm -f; docker network ls --format '{{.Name}}' | grep '^w${ID}h' | xargs -r docker network rm`], { stdio: 'ignore' });
  // Then every image of this test's repository, tagged or not (the builds and the hosts' pulls by digest).
  if (image) spawnSync('sh', ['-c', `docker images -q --filter 'reference=${image}' | sort -u | xargs -r docker rmi -f`], { stdio: 'ignore' });
});

describe('actions against the test world', () => {
  it('build-push: builds, pushes, and the registry serves the digest it outputs', async () => {
    const r = await buildPush('a1', world.registryPassword);
    expect(r.code, r.log).toBe(0);
    expect(r.outputs.image).toBe(image);
    expect(r.outputs.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(r.outputs.ref).toBe(`${image}@${r.outputs.digest}`);
    expect(r.outputs.tags.split('\n')).toEqual([`${image}:sha-a1b2c3d`, `${image}:main`, `${image}:latest`]);
    expect(r.stdout).toContain('::group::Build');
    expect(r.summary).toContain(r.outputs.ref);
    noSecrets(r);
    // The registry answers for that digest (HEAD manifest, with the password).
    const res = await fetch(`http://${world.registry}/v2/actions-e2e/app/manifests/${r.outputs.digest}`, {
      method: 'HEAD',
      headers: {
        authorization: 'Basic ' + Buffer.from(`${world.registryUser}:${world.registryPassword}`).toString('base64'),
        accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json',
      },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('docker-content-digest')).toBe(r.outputs.digest);
    refs.a1 = r.outputs.ref;
    const r2 = await buildPush('a2', world.registryPassword);
    expect(r2.code, r2.log).toBe(0);
    expect(r2.outputs.digest).not.toBe(r.outputs.digest);
    refs.a2 = r2.outputs.ref;
  });

  it('build-push: a wrong password fails clearly, without the password in the output', async () => {
    const wrong = 'Wrong-Pass-31-zz';
    const r = await buildPush('a1', wrong);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/::error::docker login .* failed: .*401 Unauthorized.*check registry-username and registry-password/);
    expect(r.outputs.ref).toBeUndefined();
    noSecrets(r, wrong);
  });

  it('build-push without buildx: plain docker build, OCI labels, push: false keeps it local', async () => {
    // A named shim: `docker` that says buildx is not installed and passes everything else to the real CLI.
    const shim = path.join(DIR, 'no-buildx');
    mkdirSync(shim, { recursive: true });
    const real = execFileSync('sh', ['-c', 'command -v docker'], { encoding: 'utf8' }).trim();
    writeFileSync(path.join(shim, 'docker'), `#!/bin/sh\n[ "$1" = buildx ] && { echo "docker: 'buildx' is not a docker command." >&2; exit 1; }\nexec ${real} "$@"\n`, { mode: 0o755 });
    const r = await runAction(
      bundles,
      'build-push',
      { image, context: 'test/world/app', 'build-args': 'VERSION=plain', push: 'false', tags: 'plain-build' },
      pushEvent(SHA),
      { GITHUB_SHA: SHA, GITHUB_REF: 'refs/heads/main', PATH: `${shim}:${process.env.PATH}` },
    );
    expect(r.code, r.log).toBe(0);
    expect(r.stdout).toContain('::warning::docker buildx is not installed');
    expect(r.stdout).toContain('$ docker build --tag');
    expect(r.outputs.digest).toBe('');
    expect(r.outputs.ref).toBe('');
    const labels = JSON.parse(execFileSync('docker', ['image', 'inspect', '--format', '{{json .Config.Labels}}', `${image}:plain-build`], { encoding: 'utf8' }));
    expect(labels['org.opencontainers.image.revision']).toBe(SHA);
    expect(labels['org.opencontainers.image.source']).toBe('https://github.com/acme/shop');
    expect(labels['org.opencontainers.image.created']).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });

  it('deploy: every host runs the pinned digest; outputs and summary written; no secret anywhere', async () => {
    const r = await deploy('a1');
    expect(r.code, r.log).toBe(0);
    noSecrets(r);
    expect(r.outputs.release).toMatch(/^\d{8}T\d{6}Z-a1b2c3d$/);
    releases.push(r.outputs.release);
    expect(JSON.parse(r.outputs.hosts)).toEqual(world.hosts.map((h) => h.name));
    const result = JSON.parse(r.outputs.result) as { host: string; ok: boolean; result: string; release: string }[];
    expect(result.map((h) => [h.host, h.ok, h.result, h.release])).toEqual(world.hosts.map((h) => [h.name, true, 'switched', r.outputs.release]));
    expect(r.summary).toMatch(/<th>host<\/th><th>result<\/th><th>release<\/th><th>seconds<\/th>/);
    expect(r.stdout).toMatch(/^::group::preflight$/m);
    expect(r.summary).toContain(r.outputs.release);
    for (const s of await fleetState()) {
      expect(s.body).toBe('200 a1');
      expect(s.images).toEqual([refs.a1]);
    }
  });

  it('rollback by workflow_dispatch: to the previous release, then to a named one', async () => {
    const d2 = await deploy('a2');
    expect(d2.code, d2.log).toBe(0);
    releases.push(d2.outputs.release);
    for (const s of await fleetState()) expect(s.body).toBe('200 a2');

    const back = await runAction(bundles, 'rollback', fleetInputs(), dispatchEvent({ environment: 'prod', release: '' }));
    expect(back.code, back.log).toBe(0);
    expect(back.outputs.release).toBe(releases[0]);
    expect(back.summary).toContain(releases[0]);
    noSecrets(back);
    for (const s of await fleetState()) expect(s.body).toBe('200 a1');

    const to = await runAction(bundles, 'rollback', { ...fleetInputs(), to: releases[1] }, dispatchEvent({ environment: 'prod', release: releases[1] }));
    expect(to.code, to.log).toBe(0);
    expect(to.outputs.release).toBe(releases[1]);
    for (const s of await fleetState()) {
      expect(s.body).toBe('200 a2');
      expect(s.images).toEqual([refs.a2]);
    }
  });

  it('rollback to a release no host keeps: refused, an ::error annotation, nothing switched', async () => {
    const r = await runAction(bundles, 'rollback', { ...fleetInputs(), to: '20000101T000000Z-nothere' }, dispatchEvent({ environment: 'prod', release: 'x' }));
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/::error::/);
    for (const s of await fleetState()) expect(s.body).toBe('200 a2');
  });

  it('Jenkins: the deliveryBuildPush step script prints the pinned ref its step returns', async () => {
    const groovy = readFileSync(path.join(ROOT, 'jenkins/vars/deliveryBuildPush.groovy'), 'utf8');
    const script = /script: '''([\s\S]*?)'''/.exec(groovy)![1];
    const res = spawnSync('sh', ['-c', script], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 120_000,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        DELIVERY_CLI: `${process.execPath} ${path.join(bundles, 'cli', 'index.js')}`,
        DELIVERY_IMAGE: image,
        DELIVERY_CONTEXT: 'test/world/app',
        DELIVERY_BUILD_ARGS: 'VERSION=a1',
        DELIVERY_REGISTRY_USERNAME: world.registryUser,
        DELIVERY_REGISTRY_PASSWORD: world.registryPassword,
        GIT_COMMIT: SHA,
        BRANCH_NAME: 'main',
      },
    });
    expect(res.status, res.stderr).toBe(0);
    // stdout is the ref alone (what `sh(returnStdout: true)` returns); progress went to stderr.
    expect(res.stdout).toMatch(new RegExp(`^${image.replace(/[.]/g, '\\.')}@sha256:[0-9a-f]{64}\\n$`));
    expect(res.stderr).toContain('docker buildx build');
    expect((res.stdout + res.stderr).includes(world.registryPassword), 'the registry password appears in the output').toBe(false);
  });

  it('Jenkins: the deliveryDeploy step script runs the CLI with the key in an ssh-agent', async () => {
    const groovy = readFileSync(path.join(ROOT, 'jenkins/vars/deliveryDeploy.groovy'), 'utf8');
    const script = /sh '''([\s\S]*?)'''/.exec(groovy)![1];
    const scriptFile = path.join(DIR, 'step.sh');
    writeFileSync(scriptFile, script, { mode: 0o700 });
    const secretsFile = path.join(DIR, 'secrets.env');
    writeFileSync(secretsFile, `db_password=${DB_PASSWORD}\n`, { mode: 0o600 });
    // What sshagent + withCredentials + withEnv give the sh step: an agent socket, env variables.
    const wrapper = [
      'set -euo pipefail',
      'eval "$(ssh-agent -s)" >/dev/null',
      'trap \'ssh-agent -k >/dev/null\' EXIT',
      'ssh-add -q "$KEY_FILE" 2>/dev/null',
      'unset KEY_FILE',
      'bash "$STEP"',
    ].join('\n');
    const res = spawnSync('bash', ['-c', wrapper], {
      cwd: DIR,
      encoding: 'utf8',
      timeout: 180_000,
      env: {
        PATH: process.env.PATH,
        HOME: DIR,
        KEY_FILE: world.sshKeyPath,
        STEP: scriptFile,
        DELIVERY_CLI: `${process.execPath} ${path.join(bundles, 'cli', 'index.js')}`,
        DELIVERY_ENV: 'prod',
        DELIVERY_FILE: path.join(DIR, 'Deliveryfile'),
        DELIVERY_IMAGES: refs.a1,
        DELIVERY_TIMEOUT: '120',
        DELIVERY_KNOWN_HOSTS_PATH: world.knownHostsPath,
        DELIVERY_SECRETS_PATH: secretsFile,
        DELIVERY_REGISTRY_USERNAME: world.registryUser,
        DELIVERY_REGISTRY_PASSWORD: world.registryPassword,
        GIT_COMMIT: SHA,
      },
    });
    expect(res.status, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toMatch(/switched/);
    for (const n of secretNeedles(world.registryPassword, sshKey, DB_PASSWORD)) {
      expect((res.stdout + res.stderr).includes(n), `a secret (${n.slice(0, 3)}…) appears in the output`).toBe(false);
    }
    for (const s of await fleetState()) {
      expect(s.body).toBe('200 a1');
      expect(s.images).toEqual([refs.a1]);
    }
  });
});

/** The slice of the GitHub REST API previews use, in memory. */
function fakeGitHub() {
  const comments: { id: number; issue: number; body: string }[] = [];
  const pulls: Record<number, 'open' | 'closed'> = {};
  const auth: string[] = [];
  let next = 1;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      auth.push(String(req.headers.authorization));
      const url = new URL(req.url ?? '/', 'http://x');
      const send = (status: number, json: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      let m: RegExpExecArray | null;
      if ((m = /^\/api\/v3\/repos\/acme\/shop\/issues\/(\d+)\/comments$/.exec(url.pathname))) {
        const issue = Number(m[1]);
        if (req.method === 'GET') return send(200, url.searchParams.get('page') === '1' ? comments.filter((c) => c.issue === issue) : []);
        if (req.method === 'POST') {
          const c = { id: next++, issue, body: JSON.parse(body).body as string };
          comments.push(c);
          return send(201, { ...c, html_url: `https://github.com/acme/shop/pull/${issue}#issuecomment-${c.id}` });
        }
      }
      if ((m = /^\/api\/v3\/repos\/acme\/shop\/issues\/comments\/(\d+)$/.exec(url.pathname)) && req.method === 'PATCH') {
        const c = comments.find((x) => x.id === Number(m![1]));
        if (!c) return send(404, {});
        c.body = JSON.parse(body).body;
        return send(200, { ...c, html_url: null });
      }
      if ((m = /^\/api\/v3\/repos\/acme\/shop\/pulls\/(\d+)$/.exec(url.pathname)) && req.method === 'GET') {
        const st = pulls[Number(m[1])];
        return st ? send(200, { number: Number(m[1]), state: st }) : send(404, {});
      }
      send(404, { message: 'not found' });
    });
  });
  return { server, comments, pulls, auth };
}

describe('preview on pull_request events', () => {
  const TOKEN = 'ghs_previewToken31xyz';
  const gh = fakeGitHub();
  let api = '';
  beforeAll(async () => {
    await new Promise<void>((r) => gh.server.listen(0, `127.${ID}.0.1`, r));
    api = `http://127.${ID}.0.1:${(gh.server.address() as AddressInfo).port}/api/v3`;
  });
  afterAll(() => new Promise<void>((r) => gh.server.close(() => r())));

  const prEvent = (action: string, n: number, sha: string) => ({
    name: 'pull_request',
    payload: {
      action,
      number: n,
      pull_request: { number: n, state: action === 'closed' ? 'closed' : 'open', merged: false, head: { sha, ref: `feature-${n}` }, base: { ref: 'main' } },
      repository: { full_name: 'acme/shop', default_branch: 'main', html_url: 'https://github.com/acme/shop' },
    },
  });
  const preview = (action: string, n: number, version: string | null, extra: Record<string, string> = {}) => {
    gh.pulls[n] = action === 'closed' ? 'closed' : 'open';
    const sha = `${n}${version ?? 'x'}`.padEnd(40, '0').replace(/[^0-9a-f]/g, 'e');
    return runAction(
      bundles,
      'preview',
      {
        deliveryfile: path.join(DIR, 'Deliveryfile'),
        'ssh-key': sshKey,
        'known-hosts': knownHosts,
        token: TOKEN,
        timeout: '120',
        ...(version ? { images: refs[version], 'registry-username': world.registryUser, 'registry-password': world.registryPassword } : {}),
        ...extra,
      },
      prEvent(action, n, sha),
      { GITHUB_API_URL: api, GITHUB_SHA: sha, GITHUB_REF: `refs/pull/${n}/merge`, GITHUB_HEAD_REF: `feature-${n}` },
    );
  };
  const served = (p: string) => Promise.all(world.hosts.map((h) => get(`http://${h.addr}:${h.httpPort}${p}`)));

  it('opened: group/app-pr-N on QA with its own route, url output, one comment; the app itself untouched', async () => {
    const before = await served('/app/');
    const r = await preview('opened', 5, 'a2');
    expect(r.code, r.log).toBe(0);
    expect(r.outputs.app).toBe('actions-e2e/app-pr-5');
    expect(r.outputs.url).toBe(`http://${world.hosts[0].addr}:${world.hosts[0].httpPort}/pr-5/`);
    expect(r.outputs.release).toMatch(/^\d{8}T\d{6}Z-/);
    expect(await served('/pr-5/')).toEqual(world.hosts.map(() => '200 a2'));
    expect(await served('/app/')).toEqual(before);
    expect(await get(r.outputs.url)).toBe('200 a2');
    expect(gh.comments).toHaveLength(1);
    expect(gh.comments[0].issue).toBe(5);
    expect(gh.comments[0].body).toContain(r.outputs.url);
    expect(gh.comments[0].body).toContain(r.outputs.release);
    expect(gh.auth.every((a) => a === `Bearer ${TOKEN}`)).toBe(true);
    expect(r.summary).toContain('actions-e2e/app-pr-5');
    noSecrets(r, TOKEN);
  });

  it('synchronize: the preview is updated and the comment edited, not duplicated', async () => {
    const r = await preview('synchronize', 5, 'a1');
    expect(r.code, r.log).toBe(0);
    expect(await served('/pr-5/')).toEqual(world.hosts.map(() => '200 a1'));
    expect(gh.comments).toHaveLength(1);
    expect(gh.comments[0].body).toContain(r.outputs.release);
    noSecrets(r, TOKEN);
  });

  it('closed: the preview is gone (418), and cleanup-older-than removes a stale one of a closed PR', async () => {
    const six = await preview('opened', 6, 'a2');
    expect(six.code, six.log).toBe(0);
    expect(await served('/pr-6/')).toEqual(world.hosts.map(() => '200 a2'));
    gh.pulls[6] = 'closed';
    const app = await served('/app/');

    const r = await preview('closed', 5, null, { 'cleanup-older-than': '0' });
    expect(r.code, r.log).toBe(0);
    expect(r.outputs.url).toBe('');
    expect(r.outputs.removed).toBe('actions-e2e/app-pr-6');
    for (const p of ['/pr-5/', '/pr-6/']) for (const b of await served(p)) expect(b).toMatch(/^418/);
    expect(await served('/app/')).toEqual(app);
    expect(gh.comments.find((c) => c.issue === 5)!.body).toMatch(/Preview removed/);
    noSecrets(r, TOKEN);
  });
});
