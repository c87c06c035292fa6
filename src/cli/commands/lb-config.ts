import http from 'node:http';
import { ConfigurationError } from '../../core/errors';
import type { Deliveryfile } from '../../core/deliveryfile';
import { lbConfig, type LbFormat, type LbHost, type LbInput } from '../../core/lbconfig';
import type { Logger } from '../../core/logger';
import type { HostSpec } from '../../core/types';
import { readCliOptions } from '../args';
import type { Command } from '../command';
import { resolveHosts } from '../../adapters/cluster-source';
import { loadDeliveryfile } from '../../adapters/deliveryfile-source';

const FORMATS: readonly LbFormat[] = ['apache', 'haproxy'];
/** The environment previews run in, unless `preview.environment` says otherwise. */
const PREVIEW_ENV = 'qa';

const toLb = (h: HostSpec): LbHost => ({ name: h.name, host: h.host, httpPort: h.httpPort });

/** Deliveryfile + resolved hosts → what lbConfig needs. Pure. */
export function lbInputOf(df: Deliveryfile, environment: string, hosts: HostSpec[], previewHosts: HostSpec[] | null): LbInput {
  const d = df.data;
  const route = d.route ? { path: d.route.path ?? null, host: d.route.host ?? null, strip_prefix: d.route.strip_prefix } : null;
  const preview =
    d.preview && previewHosts
      ? { path: d.preview.route.path ?? null, host: d.preview.route.host ?? null, hosts: previewHosts.map(toLb) }
      : null;
  return { application: d.application, environment, route, healthPath: d.health.path ?? null, hosts: hosts.map(toLb), preview };
}

/** One GET with an optional Host header (fetch ignores a Host header); the status, or an error. */
function getStatus(host: string, port: number, uri: string, hostHeader: string | null): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path: uri, timeout: 3000, headers: hostHeader ? { host: hostHeader } : {} }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 3 s')));
    req.on('error', reject);
  });
}

/** GET the check URI on every host's router once; warn about each one that does not answer 200. */
async function probe(input: LbInput, uri: string, logger: Logger): Promise<void> {
  await Promise.all(
    input.hosts.map(async (h) => {
      const url = `http://${h.host.includes(':') ? `[${h.host}]` : h.host}:${h.httpPort}${uri}`;
      try {
        const status = await getStatus(h.host, h.httpPort, uri, input.route?.host ?? null);
        if (status === 418) {
          logger.warn(`${h.name} (${url}) answers 418: the app is not deployed there, or it answers 418 itself; the balancer skips that host`);
        } else if (status !== 200) {
          logger.warn(`${h.name} (${url}) answers ${status}, not 200: the health check keeps that host out of the balancer`);
        } else {
          logger.info(`${h.name} (${url}) answers 200`);
        }
      } catch (err) {
        logger.warn(`${h.name} (${url}): no answer (${(err as Error).message}); the balancer skips that host while it is down`);
      }
    }),
  );
}

export const lbConfigCommand: Command = {
  name: 'lb-config',
  summary: 'print the upstream balancer config (Apache or HAProxy) for the app\'s route and hosts',
  usage: 'delivery lb-config --env ENV --format apache|haproxy [--file PATH] [--probe]',
  options: ['env', 'file', 'format', 'cluster-token', 'probe'],
  async run(ctx) {
    const { values } = readCliOptions(this.options, ctx.argv, ctx.env);
    const env = values.env as string | undefined;
    if (!env) throw new ConfigurationError('--env is required: the environment whose hosts the balancer sends traffic to');
    const format = (values.format as string | undefined) ?? 'apache';
    if (!FORMATS.includes(format as LbFormat)) {
      throw new ConfigurationError(`--format ${JSON.stringify(format)}: expected apache or haproxy`);
    }
    const file = (values.file as string | undefined) ?? 'Deliveryfile';
    const df = await loadDeliveryfile(file);
    const token = values['cluster-token'] as string | undefined;
    if (token) ctx.logger.secret(token);
    const hosts = await resolveHosts(df, env, { token, logger: ctx.logger });
    let previewHosts: HostSpec[] | null = null;
    if (df.data.preview) {
      const penv = df.data.preview.environment ?? PREVIEW_ENV;
      if (df.data.environments[penv]) {
        previewHosts = await resolveHosts(df, penv, { token, logger: ctx.logger });
      } else {
        ctx.logger.warn(`preview: no environment ${JSON.stringify(penv)} in ${file}; the config has no preview catch-all`);
      }
    }
    const input = lbInputOf(df, env, hosts, previewHosts);
    const result = lbConfig(input, { format: format as LbFormat });
    for (const w of result.warnings) ctx.logger.warn(w);
    if (values.probe && result.checkUri) await probe(input, result.checkUri, ctx.logger);
    ctx.stdout.write(result.text);
    return 0;
  },
};
