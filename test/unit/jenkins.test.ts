import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, realpathSync, statSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { OPTIONS, envVarOf } from '../../src/core/options';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../..');
const vars = path.join(root, 'jenkins/vars');
const harness = path.join(root, 'test/jenkins/harness.groovy');
const tmp = mkdtempSync(path.join(tmpdir(), 'jenkins-test-'));
/** The workspace the recording cases run in (pwd() in the harness). */
const WS = path.join(tmp, 'ws');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function javaHome(): string {
  return path.dirname(path.dirname(realpathSync('/usr/bin/java')));
}
async function groovy(...args: string[]) {
  try {
    return await run('groovy', [harness, ...args], { env: { ...process.env, JAVA_HOME: process.env.JAVA_HOME ?? javaHome() }, timeout: 60_000 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new Error('groovy is not installed: apt-get install -y groovy (scripts/ensure-system.sh does it)');
    throw err;
  }
}

interface Call {
  withEnv?: string[];
  withCredentials?: Record<string, Record<string, string>>[];
  sshagent?: string[];
  sh?: string;
  gstring?: boolean;
  libraryResource?: string;
  writeFile?: string;
}
interface CaseResult {
  file: string;
  result?: string;
  error?: string;
  calls: Call[];
}

const STEPS = ['deliveryBuildPush', 'deliveryDeploy', 'deliveryRollback', 'deliveryPreview'];
const VARS = [...STEPS, 'deliveryCli'];
const RESOURCES = path.join(root, 'jenkins/resources');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };

describe('jenkins shared library', () => {
  it('has every step with its help text', () => {
    const files = readdirSync(vars).sort();
    for (const s of VARS) {
      expect(files).toContain(`${s}.groovy`);
      expect(readFileSync(path.join(vars, `${s}.txt`), 'utf8')).toMatch(new RegExp(`^(def ref = )?${s}\\(`));
    }
  });

  it('is valid Groovy (vars and the example Jenkinsfile), and a syntax error is caught', async () => {
    const files = [...VARS.map((s) => path.join(vars, `${s}.groovy`)), path.join(root, 'jenkins/Jenkinsfile')];
    const { stdout } = await groovy('syntax', ...files);
    expect(stdout).toContain('syntax ok');
    const bad = path.join(tmp, 'bad.groovy');
    writeFileSync(bad, "def call(Map args = [:]) {\n  sh 'x'\n");
    await expect(groovy('syntax', bad)).rejects.toThrow(/unexpected|expecting|Unexpected/);
  }, 60_000);

  it('runs the CLI in single-quoted sh steps; secrets only as credential variables', async () => {
    const cases = [
      {
        file: path.join(vars, 'deliveryDeploy.groovy'),
        args: { environment: 'prod', sshCredentialsId: 'deploy-key', registryCredentialsId: 'registry', secretsCredentialsId: 'sec', images: 'r/a@sha256:1', knownHostsFile: 'kh' },
      },
      { file: path.join(vars, 'deliveryBuildPush.groovy'), args: { image: 'r/a', registryCredentialsId: 'registry', latest: true }, stdout: 'r/a@sha256:2' },
      { file: path.join(vars, 'deliveryRollback.groovy'), args: { environment: 'prod', sshCredentialsId: 'deploy-key', to: 'R1' } },
      { file: path.join(vars, 'deliveryPreview.groovy'), args: { sshCredentialsId: 'deploy-key', githubTokenCredentialsId: 'gh', teardown: true }, env: { CHANGE_ID: '7' } },
      { file: path.join(vars, 'deliveryDeploy.groovy'), args: { sshCredentialsId: 'deploy-key' } },
    ];
    const casesFile = path.join(tmp, 'cases.json');
    writeFileSync(casesFile, JSON.stringify(cases.map((c) => ({ ...c, workspace: WS, resources: RESOURCES }))));
    const { stdout } = await groovy('run', casesFile);
    const [deploy, build, rollback, preview, missing] = stdout.trim().split('\n').map((l) => JSON.parse(l) as CaseResult);

    for (const r of [deploy, build, rollback, preview]) {
      expect(r.error).toBeUndefined();
      // The bundled CLI, written from the library's resources, run with the agent's node.
      expect(r.calls.filter((c) => c.libraryResource).map((c) => c.libraryResource)).toContain('delivery/cli/index.js');
      expect(r.calls.find((c) => c.sh)!.sh).toContain('exec node "$DELIVERY_CLI_JS" ');
      const shs = r.calls.filter((c) => c.sh !== undefined);
      expect(shs).toHaveLength(1);
      // A literal string: Groovy interpolated nothing into the shell script.
      expect(shs[0].gstring).toBe(false);
      expect(shs[0].sh).not.toMatch(/PASSWORD|TOKEN|SSH_KEY/);
    }
    const cliJs = `DELIVERY_CLI_JS=${WS}@tmp/delivery-cli/cli/index.js`;
    const envOf = (r: CaseResult) => r.calls.find((c) => c.withEnv)!.withEnv!.filter((e) => e !== cliJs);
    expect(deploy.calls.find((c) => c.withEnv)!.withEnv).toContain(cliJs);
    expect(envOf(deploy)).toEqual(['DELIVERY_ENV=prod', 'DELIVERY_IMAGES=r/a@sha256:1', 'DELIVERY_KNOWN_HOSTS_PATH=kh']);
    expect(deploy.calls.find((c) => c.withCredentials)!.withCredentials).toEqual([
      { usernamePassword: { credentialsId: 'registry', usernameVariable: 'DELIVERY_REGISTRY_USERNAME', passwordVariable: 'DELIVERY_REGISTRY_PASSWORD' } },
      { file: { credentialsId: 'sec', variable: 'DELIVERY_SECRETS_PATH' } },
    ]);
    expect(deploy.calls.find((c) => c.sshagent)!.sshagent).toEqual(['deploy-key']);
    expect(deploy.calls.find((c) => c.sh)!.sh).toContain('exec node "$DELIVERY_CLI_JS" deploy "${flags[@]}"');

    expect(build.result).toBe('r/a@sha256:2');
    expect(envOf(build)).toEqual(['DELIVERY_IMAGE=r/a', 'DELIVERY_LATEST=true']);
    expect(envOf(rollback)).toEqual(['DELIVERY_ENV=prod', 'DELIVERY_TO=R1']);
    expect(envOf(preview)).toEqual(['DELIVERY_ENV=qa', 'DELIVERY_PR=7', 'DELIVERY_TEARDOWN=true']);
    expect(preview.calls.find((c) => c.withCredentials)!.withCredentials).toContainEqual({ string: { credentialsId: 'gh', variable: 'DELIVERY_GITHUB_TOKEN' } });

    expect(missing.error).toMatch(/environment is required/);
    expect(missing.calls).toEqual([]);
  }, 60_000);

  it('DELIVERY_CLI set (e.g. an npm-installed delivery): the steps run it and write no resource', async () => {
    const casesFile = path.join(tmp, 'cases-cli.json');
    writeFileSync(casesFile, JSON.stringify([{ file: path.join(vars, 'deliveryRollback.groovy'), args: { environment: 'prod', sshCredentialsId: 'k' }, env: { DELIVERY_CLI: 'delivery' }, workspace: WS }]));
    const { stdout } = await groovy('run', casesFile);
    const r = JSON.parse(stdout.trim()) as CaseResult;
    expect(r.error).toBeUndefined();
    expect(r.calls.filter((c) => c.libraryResource || c.writeFile)).toEqual([]);
    expect(r.calls.find((c) => c.sh)!.sh).toContain('exec $DELIVERY_CLI rollback');
  }, 60_000);

  it('the library resources are the CLI bundle of dist/ and the host files setup uploads (npm run build copies them)', () => {
    expect(readFileSync(path.join(RESOURCES, 'delivery/cli/index.js')).equals(readFileSync(path.join(root, 'dist/cli/index.js'))), 'run npm run build').toBe(true);
    const hostFiles = readdirSync(path.join(root, 'src/host'), { recursive: true, encoding: 'utf8' }).filter((f) => statSync(path.join(root, 'src/host', f)).isFile());
    expect(hostFiles).toContain('rollout');
    const groovyList = /def files = \[([^\]]*)\]/.exec(readFileSync(path.join(vars, 'deliveryCli.groovy'), 'utf8'))![1];
    for (const f of hostFiles) {
      expect(readFileSync(path.join(RESOURCES, 'delivery/host', f)).equals(readFileSync(path.join(root, 'src/host', f))), `host/${f}: run npm run build`).toBe(true);
      expect(groovyList, `deliveryCli.groovy writes host/${f}`).toContain(`'host/${f}'`);
    }
  });

  it('the bundled CLI really runs in the harness: deliveryCli writes the resource and runs it with node (--version, plan --json)', async () => {
    const ws = mkdtempSync(path.join(tmpdir(), 'jenkins-ws-'));
    try {
      const seed = path.join(root, 'examples/seed/Deliveryfile');
      const casesFile = path.join(tmp, 'cases-exec.json');
      const base = { file: path.join(vars, 'deliveryCli.groovy'), exec: true, resources: RESOURCES, workspace: ws, processEnv: { PATH: process.env.PATH, HOME: ws } };
      writeFileSync(casesFile, JSON.stringify([
        { ...base, words: ['--version'] },
        { ...base, words: ['plan', '--env', 'qa', '--file', seed, '--json', '--release', '20261201T000000Z-abc1234'] },
        { ...base, words: ['plan', '--env', 'nope', '--file', seed, '--json'] },
      ]));
      const { stdout } = await groovy('run', casesFile);
      const [version, plan, bad] = stdout.trim().split('\n').map((l) => JSON.parse(l) as CaseResult);
      expect(version.error).toBeUndefined();
      expect(version.result).toBe(`delivery ${pkg.version}\n`);
      expect(version.calls.find((c) => c.writeFile)!.writeFile).toBe(`${ws}@tmp/delivery-cli/cli/index.js`);
      expect(readFileSync(`${ws}@tmp/delivery-cli/cli/index.js`).equals(readFileSync(path.join(RESOURCES, 'delivery/cli/index.js')))).toBe(true);
      expect(JSON.parse(plan.result!)).toMatchObject({ ok: true, application: 'bit-docker/teapot', environment: 'qa', release: '20261201T000000Z-abc1234' });
      // A failing command fails the step, as sh does in Jenkins.
      expect(bad.error).toMatch(/script returned exit code 2: .*"ok":false,"code":2/);
    } finally {
      rmSync(ws, { recursive: true, force: true });
      rmSync(`${ws}@tmp`, { recursive: true, force: true });
    }
  }, 120_000);

  it('the shell scripts of the steps pass shellcheck', async () => {
    for (const s of VARS) {
      const text = readFileSync(path.join(vars, `${s}.groovy`), 'utf8');
      const scripts = [...text.matchAll(/(?:sh |script: )'\'\'([\s\S]*?)'\'\'/g)].map((m) => m[1]);
      expect(scripts.length, s).toBeGreaterThan(0);
      for (const [i, sc] of scripts.entries()) {
        const f = path.join(tmp, `${s}-${i}.sh`);
        writeFileSync(f, sc);
        await expect(run('shellcheck', [f]).then(() => 'clean'), `${s} script ${i}`).resolves.toBe('clean');
      }
    }
  });

  it('every variable a step exports is one the CLI reads (src/core/options.ts)', () => {
    const known = new Set(Object.values(OPTIONS).map((o) => envVarOf(o)));
    // Paths the sh step turns into flags, and the CLI override.
    for (const extra of ['DELIVERY_KNOWN_HOSTS_PATH', 'DELIVERY_SECRETS_PATH', 'DELIVERY_CLI', 'DELIVERY_CLI_JS', 'DELIVERY_WORDS']) known.add(extra);
    for (const s of VARS) {
      const text = readFileSync(path.join(vars, `${s}.groovy`), 'utf8');
      for (const m of text.matchAll(/\b(DELIVERY_[A-Z_]+)/g)) expect(known, `${s}: ${m[1]}`).toContain(m[1]);
    }
  });
});
