/**
 * `delivery lb-config`: the upstream balancer's configuration, as data in,
 * text out. Pure: no file, network or process access.
 *
 * The seed's rule: every host's router answers 418 (the teapot) for an app it
 * does not run, and the balancer skips such a host (`failonstatus=418`).
 * Measured here: with `failonstatus` alone Apache still hands that 418 to the
 * client (once per host without the app, every `retry` seconds). So the
 * config goes further:
 *   - a balancer lists only the hosts of the app's own cluster;
 *   - active health checks ask each host's router for the app's health path
 *     (or its route) and expect 200, so a host without the app is out of the
 *     pool before a client request reaches it;
 *   - Apache members start in the "health check failed" state (`status=+C`)
 *     and join after their first passing check, so not even the first
 *     requests after a restart see a teapot (they get 503 until one host
 *     passes, at most one check interval).
 * An app that answers 418 itself is indistinguishable from a host without
 * it and drops out of the pool; `lbConfig` warns where it can tell.
 */

export type LbFormat = 'apache' | 'haproxy';

export interface LbHost {
  /** Display name, used for HAProxy server names. */
  name: string;
  /** Address the balancer connects to (the host's router). */
  host: string;
  /** Port of the host's router (cluster `http_port`, default 80). */
  httpPort: number;
}

export interface LbRoute {
  /** Path prefix the router matches, e.g. `/app/`; null for a host-only route. */
  path: string | null;
  /** Host name the router matches; null for a path-only route. */
  host: string | null;
  /** The router strips the prefix before the app sees the request. */
  strip_prefix: boolean;
}

export interface LbPreview {
  /** Path template, e.g. `/pr-{number}/`. */
  path: string | null;
  /** Host template, e.g. `pr-{number}.qa.example.org`. */
  host: string | null;
  /** The QA hosts previews run on. */
  hosts: LbHost[];
}

export interface LbInput {
  /** `group/app` */
  application: string;
  environment: string;
  route: LbRoute | null;
  /** The app's HTTP health path as the app sees it (`health.path`), or null. */
  healthPath: string | null;
  /** The hosts of the environment's cluster. */
  hosts: LbHost[];
  preview?: LbPreview | null;
}

export interface LbOptions {
  format: LbFormat;
  /** HAProxy frontend bind line argument (default `:80`). */
  bind?: string;
  /** Seconds between active health checks (default 2). */
  checkInterval?: number;
}

export interface LbResult {
  text: string;
  warnings: string[];
  /** The URI the health checks ask each host's router for (null without a route). */
  checkUri: string | null;
}

/** `group/app` → `group_app`, the name used for balancers and backends. */
export function lbName(application: string): string {
  return application.replace('/', '_');
}

/** Joins a route prefix and a path the app sees: `/app/` + `/health` → `/app/health`. */
function joinPath(prefix: string, path: string): string {
  return prefix.replace(/\/+$/, '') + '/' + path.replace(/^\/+/, '');
}

/**
 * What the balancer asks each host's router, expecting 200: the app's
 * health path as seen through the router, else the route's path.
 */
export function healthCheckUri(route: LbRoute, healthPath: string | null, warnings: string[] = []): string {
  const prefix = route.path ?? '/';
  if (!healthPath) return prefix;
  if (route.strip_prefix) return route.path ? joinPath(route.path, healthPath) : healthPath;
  // Without stripping, the app sees the full path: the health path must lie
  // under the prefix, or the router answers 418 to the check.
  if (route.path && !healthPath.startsWith(route.path) && healthPath + '/' !== route.path) {
    warnings.push(
      `health.path ${healthPath} is outside the route prefix ${route.path} and strip_prefix is false: ` +
        `the router would answer 418 to it and every host would drop out of the balancer; ` +
        `the checks use the route ${route.path} instead`,
    );
    return route.path;
  }
  return healthPath;
}

function hostPort(h: LbHost): string {
  const host = h.host.includes(':') && !h.host.startsWith('[') ? `[${h.host}]` : h.host;
  return `${host}:${h.httpPort}`;
}

function uniqueHosts(hosts: LbHost[]): LbHost[] {
  const seen = new Set<string>();
  return hosts.filter((h) => {
    const k = hostPort(h);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** `/pr-{number}/` → a regular expression source matching that prefix (placeholders: digits, letters, `-`). */
export function templateRegex(template: string): string {
  return template
    .split(/(\{[a-z_]+\})/)
    .map((part) =>
      /^\{[a-z_]+\}$/.test(part)
        ? part === '{number}' || part === '{pr}'
          ? '[0-9]+'
          : '[A-Za-z0-9-]+'
        : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('');
}

const SAFE_PATH = /^\/[A-Za-z0-9._~/{}-]*$/;
const SAFE_HOST = /^[A-Za-z0-9.{}-]+$/;
const SAFE_ADDR = /^[A-Za-z0-9.:[\]-]+$/;

function checkInput(input: LbInput): void {
  // The generated text is a config file: refuse anything that could break out
  // of a quoted word. The Deliveryfile's schema already restricts these.
  const bad = (what: string, v: string) => {
    throw new Error(`lb-config: ${what} ${JSON.stringify(v)} contains characters a balancer config cannot carry`);
  };
  for (const p of [input.route?.path, input.healthPath, input.preview?.path]) if (p && !SAFE_PATH.test(p)) bad('path', p);
  for (const h of [input.route?.host, input.preview?.host]) if (h && !SAFE_HOST.test(h)) bad('host name', h);
  for (const h of [...input.hosts, ...(input.preview?.hosts ?? [])]) {
    if (!SAFE_ADDR.test(h.host)) bad('host address', h.host);
    if (!Number.isInteger(h.httpPort) || h.httpPort < 1 || h.httpPort > 65535) bad('http port', String(h.httpPort));
  }
}

export function lbConfig(input: LbInput, options: LbOptions): LbResult {
  checkInput(input);
  const warnings: string[] = [];
  const hosts = uniqueHosts(input.hosts);
  const preview = input.preview && (input.preview.path || input.preview.host) ? input.preview : null;
  let checkUri: string | null = null;
  if (!input.route) {
    warnings.push(
      `${input.application} has no route in the Deliveryfile: the hosts' routers do not send it any traffic, so there is nothing to balance; add route: {path: /app/, service: …, port: …}`,
    );
  } else {
    checkUri = healthCheckUri(input.route, input.healthPath, warnings);
    if (hosts.length === 0) warnings.push(`environment ${input.environment} has no host: the balancer has no member`);
    if (input.route.host && !input.route.path && options.format === 'apache') {
      warnings.push(
        `route host ${input.route.host}: Apache's health checks cannot send that Host header, so they only check that each router is up; ` +
          `a host without the app is skipped by failonstatus=418 alone, and its first 418 reaches a client once every retry seconds. ` +
          `Use --format haproxy (its checks send the Host header) for a host route.`,
      );
    }
  }
  warnings.push(
    `the balancer treats 418 as "this host does not run the app": an app that answers 418 itself ` +
      `(on ${checkUri ?? 'its health path'} or to any client request) drops out of the balancer on that host`,
  );
  const ctx: Ctx = { input, hosts, preview, checkUri, interval: options.checkInterval ?? 2 };
  const text = options.format === 'apache' ? apache(ctx) : haproxy(ctx, options.bind ?? ':80');
  return { text, warnings, checkUri };
}

interface Ctx {
  input: LbInput;
  hosts: LbHost[];
  preview: LbPreview | null;
  checkUri: string | null;
  interval: number;
}

function header(ctx: Ctx, comment: string, extra: string[]): string[] {
  const { input } = ctx;
  return [
    `${comment} Generated by \`delivery lb-config\` for ${input.application}, environment ${input.environment}.`,
    `${comment} Every host's router answers 418 (the teapot) for an app it does not run; hosts`,
    `${comment} failing the active health check (expects 200 on ${ctx.checkUri ?? 'the route'}) get no request.`,
    `${comment} An app that answers 418 itself drops out of this balancer.`,
    ...extra.map((l) => `${comment} ${l}`),
  ];
}

function apache(ctx: Ctx): string {
  const { input, hosts, preview, checkUri, interval } = ctx;
  const name = lbName(input.application);
  const out = header(ctx, '#', [
    'Needs: a2enmod proxy proxy_http proxy_balancer proxy_hcheck lbmethod_byrequests slotmem_shm',
    'Include it in a server or <VirtualHost> context.',
  ]);
  out.push('', 'ProxyHCExpr delivery_ok {%{REQUEST_STATUS} == 200}', 'ProxyHCExpr delivery_up {%{REQUEST_STATUS} -lt 500}');
  const members = (list: LbHost[], uri: string, expr: string) =>
    list.map(
      (h) =>
        `    BalancerMember "http://${hostPort(h)}" retry=10 timeout=2 status=+C ` +
        `hcmethod=GET hcuri=${uri} hcexpr=${expr} hcinterval=${interval} hcpasses=1 hcfails=1`,
    );
  // Previews first: Apache takes the first ProxyPass that matches, and an app
  // routed on `/` would swallow them.
  if (preview) {
    const pname = `${name}_previews`;
    out.push(
      '',
      `# Previews (${preview.path ?? preview.host}) on the QA hosts. No failonstatus here: a 418 means "no such`,
      `# preview" on every QA host alike, so it goes to the client; the checks only ask whether each router is up.`,
      `<Proxy "balancer://${pname}">`,
      ...members(uniqueHosts(preview.hosts), '/', 'delivery_up'),
      '    ProxySet lbmethod=byrequests',
      '</Proxy>',
    );
    if (preview.path) {
      out.push(`ProxyPassMatch "^(${templateRegex(preview.path)}.*)$" "balancer://${pname}$1"`);
    }
    if (preview.host) {
      out.push(
        `# Host previews (${preview.host}): in a <VirtualHost> with ServerAlias for that pattern and ProxyPreserveHost On:`,
        `#   ProxyPass "/" "balancer://${pname}/"`,
      );
    }
  }
  if (input.route && checkUri) {
    const hostOnly = !!input.route.host && !input.route.path;
    const path = input.route.path ?? '/';
    out.push('', `<Proxy "balancer://${name}">`, ...members(hosts, checkUri, hostOnly ? 'delivery_up' : 'delivery_ok'));
    out.push('    ProxySet failonstatus=418 lbmethod=byrequests', '</Proxy>');
    const pass = [`ProxyPass "${path}" "balancer://${name}${path}"`, `ProxyPassReverse "${path}" "balancer://${name}${path}"`];
    if (input.route.host) {
      out.push(
        `<VirtualHost *:80>`,
        `    ServerName ${input.route.host}`,
        '    ProxyPreserveHost On',
        ...pass.map((l) => '    ' + l),
        '</VirtualHost>',
      );
    } else {
      out.push(...pass);
    }
  }
  return out.join('\n') + '\n';
}

function haproxy(ctx: Ctx, bind: string): string {
  const { input, hosts, preview, checkUri, interval } = ctx;
  const name = lbName(input.application);
  const out = header(ctx, '#', ['Copy the use_backend lines into your own frontend, or use this one.']);
  const server = (h: LbHost, i: number) =>
    `    server ${h.name.replace(/[^A-Za-z0-9._-]/g, '_') || 'host'}-${i + 1} ${hostPort(h)}`;
  const backendHead = (b: string) => [
    `backend ${b}`,
    '    mode http',
    '    balance roundrobin',
    '    timeout connect 2s',
    '    timeout server 30s',
    '    retries 2',
    '    option redispatch 1',
    '    retry-on conn-failure empty-response response-timeout',
    '    option httpchk',
  ];
  out.push('', `frontend delivery_${name}`, `    bind ${bind}`, '    mode http', '    timeout client 30s');
  if (preview) {
    const acl: string[] = [];
    if (preview.path) acl.push(`path_reg ^${templateRegex(preview.path)}`);
    if (preview.host) acl.push(`hdr(host),field(1,:) -m reg ^${templateRegex(preview.host)}$`);
    out.push(...acl.map((a) => `    use_backend ${name}_previews if { ${a} }`));
  }
  if (input.route) {
    const conds: string[] = [];
    if (input.route.host) conds.push(`{ hdr(host),field(1,:) -i ${input.route.host} }`);
    if (input.route.path) conds.push(`{ path_beg ${input.route.path} }`);
    out.push(`    use_backend ${name}${conds.length ? ' if ' + conds.join(' ') : ''}`);
  }
  out.push(`    default_backend ${name}_teapot`);
  out.push(
    '',
    '# No route claims the request: the teapot, as on the hosts.',
    `backend ${name}_teapot`,
    '    mode http',
    '    http-request return status 418 content-type text/plain string "418 no app here"',
  );
  if (preview) {
    out.push(
      '',
      `# Previews on the QA hosts: a 418 means "no such preview" on every QA host alike and goes to the client;`,
      `# the checks only ask whether each router is up (any status below 500).`,
      ...backendHead(`${name}_previews`),
      '    http-check send meth GET uri / ver HTTP/1.1 hdr Host delivery-check',
      '    http-check expect rstatus ^[1-4]',
      `    default-server check inter ${interval}s fall 1 rise 1`,
      ...uniqueHosts(preview.hosts).map(server),
    );
  }
  if (input.route && checkUri) {
    out.push(
      '',
      `# 418 means "this host does not run ${input.application}": the check expects 200, so such a host is down here.`,
      ...backendHead(name),
      `    http-check send meth GET uri ${checkUri} ver HTTP/1.1 hdr Host ${input.route.host ?? 'delivery-check'}`,
      '    http-check expect status 200',
      `    default-server check inter ${interval}s fall 1 rise 1`,
      ...hosts.map(server),
    );
  }
  return out.join('\n') + '\n';
}
