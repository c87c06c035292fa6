import type { Command } from '../command';

/**
 * A command as the top-level help lists it; its module (and what it
 * imports: ssh2, zod schemas, docker, …) loads only when the command runs,
 * so `delivery --version` or `delivery plan` does not pay for the rest.
 * `webpackMode: "eager"` keeps the module inside the one-file bundle (ncc
 * makes no extra chunk); it is still evaluated only on load().
 */
export interface CommandEntry {
  name: string;
  /** The same words as the command's own summary (a test checks). */
  summary: string;
  load(): Promise<Command>;
}

/**
 * Every CLI command. Each lives in its own file in this folder; add yours
 * to this list (one entry).
 */
export const COMMANDS: CommandEntry[] = [
  {
    name: 'build-push',
    summary: 'build the image (buildx, or docker build), tag it from git, push it, print image@sha256:…',
    load: async () => (await import(/* webpackMode: "eager" */ './build-push.js')).buildPushCommand,
  },
  {
    name: 'preview',
    summary: 'deploy pull request N as group/app-pr-N on QA with its preview route, or remove it (--teardown); clean up stale previews',
    load: async () => (await import(/* webpackMode: "eager" */ './preview.js')).previewCommand,
  },
  {
    name: 'deploy',
    summary: 'ship the bundle to every host and switch blue/green (preflight first; on failure the switched hosts roll back)',
    load: async () => (await import(/* webpackMode: "eager" */ './deploy.js')).deployCommand,
  },
  {
    name: 'rollback',
    summary: 'switch every host back to the previous release, or to --to RELEASE (refused unless every host keeps it)',
    load: async () => (await import(/* webpackMode: "eager" */ './rollback.js')).rollbackCommand,
  },
  {
    name: 'status',
    summary: 'current release, color, containers and lock of the app on every host (one table)',
    load: async () => (await import(/* webpackMode: "eager" */ './query.js')).statusCommand,
  },
  {
    name: 'releases',
    summary: 'the releases kept on every host (one table)',
    load: async () => (await import(/* webpackMode: "eager" */ './query.js')).releasesCommand,
  },
  {
    name: 'remove',
    summary: 'stop and remove the app from every host (preview teardown); idempotent',
    load: async () => (await import(/* webpackMode: "eager" */ './query.js')).removeCommand,
  },
  {
    name: 'lb-config',
    summary: "print the upstream balancer config (Apache or HAProxy) for the app's route and hosts",
    load: async () => (await import(/* webpackMode: "eager" */ './lb-config.js')).lbConfigCommand,
  },
  {
    name: 'plan',
    summary: 'show what a deploy (or rollback, remove) would do: hosts, batches, the exact rollout commands, the bundle (contacts only cluster URLs)',
    load: async () => (await import(/* webpackMode: "eager" */ './plan.js')).planCommand,
  },
  {
    name: 'setup',
    summary: 'make bare hosts deploy targets over an admin SSH login: Docker check, install.sh, the deploy key, host key pins',
    load: async () => (await import(/* webpackMode: "eager" */ './setup.js')).setupCommand,
  },
];
