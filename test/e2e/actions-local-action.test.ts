/**
 * Each action run by a real third-party client: `@github/local-action`
 * (the npm package GitHub publishes for running a JavaScript action
 * locally), unmodified, the way its README says: `local-action run
 * ACTION_DIR ENTRYPOINT .env`, with the entry that exports run()
 * (src/actions/NAME/main.ts; ncc bundles the index.ts beside it). It reads
 * the inputs (and action.yml's defaults) from its own @actions/core stub, so
 * this also proves no action reads an input around @actions/core.
 *
 * Against test world 81 (two hosts): build-push, deploy with a relative
 * `deliveryfile` (it must resolve against GITHUB_WORKSPACE, not the action's
 * folder, which is the working directory here), status --json from the
 * CLI bundle, a failed deploy (the summary names each host, its reason and
 * the rollback), rollback, preview (the summary links its URL) and its
 * teardown; and a Deliveryfile error annotated on its lines. (The other
 * first errors, a missing input named as in action.yml and a bad key
 * explained, are in test/unit/actions-errors.test.ts: run() imported the
 * same way, without a world.)
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { startWorld, type World } from '../world/world';
import { ROOT, buildBundles, cleanup, secretNeedles } from './actions-runner';

const ID = 81;
const WS = path.join(ROOT, '.tmp', `local-action-${ID}`);
const SHA = 'b2c3d4e5f60718293a4b5c6d7e8f901234567890';
const DB_PASSWORD = 'db-Secret-Value-81q';
const LOCAL_ACTION = path.join(ROOT, 'node_modules/.bin/local-action');

let world: World;
let bundles: string;
let image: string;
let sshKey: string;
let knownHosts: string;
let ref = '';

interface LocalRun {
  code: number;
  /** stdout + stderr, ANSI colours removed. */
  log: string;
  outputs: Record<string, string>;
  summary: string;
}

/** A dotenv value: double-quoted, with newlines kept (dotenv reads multi-line values this way). */
const q = (v: string) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

let runs = 0;
/** `local-action run ACTION_DIR ENTRYPOINT .env`, with the environment the runner would give (in the .env file, as local-action documents). */
async function localAction(action: 'deploy' | 'rollback' | 'preview' | 'build-push', inputs: Record<string, string>, event: { name: string; payload: unknown }, extra: Record<string, string> = {}): Promise<LocalRun> {
  const dir = path.join(WS, '.runs', String(++runs));
  mkdirSync(dir, { recursive: true });
  const files = { GITHUB_STEP_SUMMARY: path.join(dir, 'summary'), GITHUB_EVENT_PATH: path.join(dir, 'event.json') };
  writeFileSync(files.GITHUB_STEP_SUMMARY, '');
  writeFileSync(files.GITHUB_EVENT_PATH, JSON.stringify(event.payload));
  const env: Record<string, string> = {
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: event.name,
    GITHUB_REPOSITORY: 'acme/shop',
    GITHUB_WORKSPACE: WS,
    GITHUB_SHA: SHA,
    RUNNER_TEMP: dir,
    // The GitHub API, if anything asked it, is a closed port on this world's loopback address: nothing leaves the machine.
    GITHUB_API_URL: `http://127.${ID}.0.1:9/api/v3`,
    ...files,
    ...extra,
  };
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.replace(/ /g, '_').toUpperCase()}`] = v;
  const dotenv = path.join(dir, '.env');
  writeFileSync(dotenv, Object.entries(env).map(([k, v]) => `${k}=${q(v)}`).join('\n') + '\n', { mode: 0o600 });
  const actionDir = action === 'deploy' ? '.' : `actions/${action}`;
  const entry = path.relative(path.join(ROOT, actionDir), path.join(ROOT, 'src/actions', action, 'main.ts'));
  const r = spawnSync(LOCAL_ACTION, ['run', actionDir, entry, dotenv], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 240_000,
    // local-action runs `npm exec tsx` and `npm ls`: offline, no update check, so npm asks no registry.
    env: { PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_CONFIG: process.env.DOCKER_CONFIG ?? '', NO_COLOR: '1', FORCE_COLOR: '0', npm_config_offline: 'true', npm_config_update_notifier: 'false' },
  });
  // eslint-disable-next-line no-control-regex
  const log = `${r.stdout}${r.stderr}`.replace(/\x1b\[[0-9;]*m/g, '');
  const outputs: Record<string, string> = {};
  for (const m of log.matchAll(/^::set-output name=([^:]+)::(.*)$/gm)) outputs[m[1]] = m[2];
  return { code: r.status ?? 1, log, outputs, summary: readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8') };
}

const pushEvent = { name: 'push', payload: { ref: 'refs/heads/main', after: SHA, repository: { full_name: 'acme/shop', default_branch: 'main' }, head_commit: { id: SHA } } };
const prEvent = (action: string, n: number) => ({
  name: 'pull_request',
  payload: {
    action,
    number: n,
    pull_request: { number: n, state: action === 'closed' ? 'closed' : 'open', head: { sha: SHA, ref: `feature-${n}` }, base: { ref: 'main' } },
    repository: { full_name: 'acme/shop', default_branch: 'main' },
  },
});

function noSecrets(r: LocalRun) {
  for (const needle of secretNeedles(world.registryPassword, sshKey, DB_PASSWORD)) {
    expect(r.log.includes(needle) || r.summary.includes(needle), `a secret (${needle.slice(0, 3)}…) appears in the step's output`).toBe(false);
  }
}

const fleet = () => ({ 'ssh-key': sshKey, 'known-hosts': knownHosts, timeout: '120' });

beforeAll(async () => {
  [world, bundles] = await Promise.all([startWorld({ id: ID, hosts: 2 }), buildBundles()]);
  image = `${world.registry}/local-action/app`;
  sshKey = readFileSync(world.sshKeyPath, 'utf8');
  knownHosts = readFileSync(world.knownHostsPath, 'utf8');
  rmSync(WS, { recursive: true, force: true });
  mkdirSync(path.join(WS, 'deploy'), { recursive: true });
  const df = (health: { timeout: number }) =>
    YAML.stringify({
      version: 1.0,
      application: 'local-action/app',
      router: 'haproxy',
      registry: world.registry,
      route: { service: 'web', port: 8080, path: '/la/', strip_prefix: true },
      health: { path: '/health', stable: 1, ...health },
      images: { web: image },
      preview: { route: { path: '/la-pr-{number}/' }, url: `http://${world.hosts[0].addr}:${world.hosts[0].httpPort}/la-pr-{number}/` },
      environments: {
        prod: { cluster: [world.clusterFile], files: ['compose.yml'], secrets: ['db_password'] },
        qa: { cluster: [world.clusterFile], files: ['compose.yml'] },
        broken: { cluster: [world.clusterFile], files: ['compose-broken.yml'] },
      },
    });
  // The workspace is not the working directory: the inputs name files relative to it.
  writeFileSync(path.join(WS, 'deploy', 'Deliveryfile'), df({ timeout: 30 }));
  // The same app with a short health timeout, for the deploy that fails.
  writeFileSync(path.join(WS, 'deploy', 'Deliveryfile.broken'), df({ timeout: 5 }));
  writeFileSync(path.join(WS, 'deploy', 'compose.yml'), `services:\n  web:\n    image: ${image}:main\n    init: true\n`);
  // The same image with a health check that never passes.
  writeFileSync(
    path.join(WS, 'deploy', 'compose-broken.yml'),
    `services:\n  web:\n    image: ${image}:main\n    init: true\n    healthcheck:\n      test: ["CMD", "false"]\n      interval: 1s\n      retries: 1\n`,
  );
  writeFileSync(path.join(WS, 'Deliveryfile.bad'), 'version: 1.0\napplication: local-action/app\nenvironments:\n  prod:\n    cluster: [x.yml]\n    filez: [compose.yml]\n');
  // The app's source, built by build-push from the workspace.
  spawnSync('cp', ['-a', path.join(ROOT, 'test/world/app'), path.join(WS, 'app')]);
}, 600_000);

afterAll(async () => {
  if (bundles) cleanup(bundles);
  rmSync(WS, { recursive: true, force: true });
  await world?.stop();
  spawnSync('sh', ['-c', `docker ps -a --format '{{.ID}} {{.Label "com.docker.compose.project"}}' | awk '$2 ~ /^w${ID}h[0-9]+-/ {print $1}' | xargs -r docker rm -f; docker network ls --format '{{.Name}}' | grep '^w${ID}h' | xargs -r docker network rm`], { stdio: 'ignore' });
  if (image) spawnSync('sh', ['-c', `docker images -q --filter 'reference=${image}' | sort -u | xargs -r docker rmi -f`], { stdio: 'ignore' });
});

describe('the actions under @github/local-action', () => {
  it('build-push: context relative to the workspace; image, digest and ref outputs; the password masked', async () => {
    const r = await localAction(
      'build-push',
      { image, context: 'app', 'build-args': 'VERSION=la1', 'registry-username': world.registryUser, 'registry-password': world.registryPassword },
      pushEvent,
      { GITHUB_REF: 'refs/heads/main' },
    );
    expect(r.code, r.log).toBe(0);
    expect(r.outputs.image).toBe(image);
    expect(r.outputs.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(r.outputs.ref).toBe(`${image}@${r.outputs.digest}`);
    expect(r.summary).toContain(r.outputs.ref);
    noSecrets(r);
    ref = r.outputs.ref;
  });

  it('deploy: a relative deliveryfile resolves against GITHUB_WORKSPACE; outputs, summary table; no secret anywhere', async () => {
    const r = await localAction(
      'deploy',
      {
        environment: 'prod',
        deliveryfile: 'deploy/Deliveryfile',
        ...fleet(),
        images: ref,
        'registry-username': world.registryUser,
        'registry-password': world.registryPassword,
        secrets: `db_password=${DB_PASSWORD}\n`,
      },
      pushEvent,
    );
    expect(r.code, r.log).toBe(0);
    expect(r.outputs.release).toMatch(/^\d{8}T\d{6}Z-b2c3d4e$/);
    expect(JSON.parse(r.outputs.hosts)).toEqual(world.hosts.map((h) => h.name));
    const result = JSON.parse(r.outputs.result) as { host: string; ok: boolean; result: string; release: string }[];
    expect(result.map((h) => [h.host, h.ok, h.result, h.release])).toEqual(world.hosts.map((h) => [h.name, true, 'switched', r.outputs.release]));
    expect(r.summary).toContain('<h3>deploy prod</h3>');
    expect(r.summary).toMatch(/<tr><th>host<\/th><th>result<\/th><th>release<\/th><th>seconds<\/th><\/tr>/);
    expect(r.summary).toContain(`<td>${world.hosts[0].name}</td><td>switched</td><td>${r.outputs.release}</td>`);
    noSecrets(r);
  });

  it('status --json --env prod (the CLI bundle) reports the environment and each host', async () => {
    const r = await promisify(execFile)(process.execPath, [path.join(bundles, 'cli/index.js'), 'status', '--json', '--env', 'prod', '--file', 'deploy/Deliveryfile'], {
      cwd: WS,
      env: { PATH: process.env.PATH, HOME: WS, DELIVERY_SSH_KEY: sshKey, DELIVERY_KNOWN_HOSTS: knownHosts },
    });
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ ok: true, code: 0, verb: 'status', environment: 'prod', application: 'local-action/app' });
    expect(j.hosts.map((h: { host: string }) => h.host)).toEqual(world.hosts.map((h) => h.name));
  });

  it('a failed deploy: exit 5, the summary names each failed host with its reason and how to roll back', async () => {
    const r = await localAction(
      'deploy',
      { environment: 'broken', deliveryfile: 'deploy/Deliveryfile.broken', ...fleet(), images: ref, 'registry-username': world.registryUser, 'registry-password': world.registryPassword },
      pushEvent,
    );
    expect(r.code, r.log).toBe(5);
    expect(r.summary).toMatch(/<h3>deploy broken failed \(exit 5\)<\/h3>/);
    expect(r.summary).toContain('Failed hosts:');
    for (const h of world.hosts) expect(r.summary).toMatch(new RegExp(`<li><code>${h.name}</code> \\(${h.addr.replace(/\./g, '\\.')}:${h.sshPort}\\): [a-z-]+`));
    expect(r.summary).toMatch(/health/);
    expect(r.summary).toContain('<code>delivery rollback --env broken</code>');
    expect(r.log).toMatch(/::error::host h\d: /);
  });

  it('rollback (actions/rollback): back to the release before, with the summary', async () => {
    // A second release, so there is one to go back to.
    const d2 = await localAction('deploy', { environment: 'prod', deliveryfile: 'deploy/Deliveryfile', ...fleet(), images: ref, 'registry-username': world.registryUser, 'registry-password': world.registryPassword, secrets: `db_password=${DB_PASSWORD}\n`, release: '20261201T000000Z-second' }, pushEvent);
    expect(d2.code, d2.log).toBe(0);
    const r = await localAction('rollback', { environment: 'prod', deliveryfile: 'deploy/Deliveryfile', ...fleet() }, { name: 'workflow_dispatch', payload: { inputs: { environment: 'prod' } } });
    expect(r.code, r.log).toBe(0);
    expect(r.outputs.release).toMatch(/^\d{8}T\d{6}Z-b2c3d4e$/);
    expect(r.outputs.release).not.toBe('20261201T000000Z-second');
    expect(r.summary).toContain('<h3>rollback prod</h3>');
    expect(r.summary).toContain(`<li>release: ${r.outputs.release}</li>`);
  });

  it('preview: opened deploys app-pr-N with a url output the summary links; closed removes it', async () => {
    const r = await localAction('preview', { deliveryfile: 'deploy/Deliveryfile', ...fleet(), images: ref, 'registry-username': world.registryUser, 'registry-password': world.registryPassword }, prEvent('opened', 8));
    expect(r.code, r.log).toBe(0);
    const url = `http://${world.hosts[0].addr}:${world.hosts[0].httpPort}/la-pr-8/`;
    expect(r.outputs.app).toBe('local-action/app-pr-8');
    expect(r.outputs.url).toBe(url);
    expect(r.summary).toContain(`<a href="${url}">${url}</a>`);
    // action.yml's `token: ${{ github.token }}` default arrives unexpanded under local-action: no token, no API call.
    expect(r.log).toContain('no GitHub token or repository: no PR comment');
    noSecrets(r);
    const down = await localAction('preview', { deliveryfile: 'deploy/Deliveryfile', ...fleet() }, prEvent('closed', 8));
    expect(down.code, down.log).toBe(0);
    expect(down.summary).toContain('preview local-action/app-pr-8 removed');
  });
});

describe('errors where users look (local-action)', () => {
  it('a Deliveryfile error is one ::error annotation per problem, on its file, line and column', async () => {
    const r = await localAction('deploy', { environment: 'prod', deliveryfile: 'Deliveryfile.bad', ...fleet() }, pushEvent);
    expect(r.code).toBe(2);
    expect(r.log).toMatch(/^::error title=delivery,file=Deliveryfile\.bad,line=5,endLine=5,col=5,endColumn=5::Deliveryfile\.bad:5:5 environments\.prod: missing key "files"/m);
    expect(r.log).toMatch(/^::error title=delivery,file=Deliveryfile\.bad,line=6,endLine=6,col=5,endColumn=5::Deliveryfile\.bad:6:5 environments\.prod\.filez: unknown key/m);
    // The annotations name the file as the user wrote it, relative to the workspace.
    for (const l of r.log.split('\n').filter((x) => x.startsWith('::error'))) expect(l).not.toContain(WS);
  });
});
