import { describe, expect, it } from 'vitest';
import { healthCheckUri, lbConfig, templateRegex, type LbInput } from '../../src/core/lbconfig';

const hosts = [
  { name: 'web1', host: '10.0.0.1', httpPort: 80 },
  { name: 'web2', host: '10.0.0.2', httpPort: 8080 },
  { name: 'web2-again', host: '10.0.0.2', httpPort: 8080 },
];
const input: LbInput = {
  application: 'bit-docker/teapot',
  environment: 'prod',
  route: { path: '/teapot/', host: null, strip_prefix: true },
  healthPath: '/health',
  hosts,
};

describe('lbConfig apache', () => {
  const { text, warnings, checkUri } = lbConfig(input, { format: 'apache' });

  it('has one balancer for the app with failonstatus=418 and only its cluster hosts, once each', () => {
    expect(text).toContain('<Proxy "balancer://bit-docker_teapot">');
    expect(text).toContain('ProxySet failonstatus=418 lbmethod=byrequests');
    const members = text.split('\n').filter((l) => l.includes('BalancerMember'));
    expect(members).toHaveLength(2);
    expect(members[0]).toMatch(/^ {4}BalancerMember "http:\/\/10\.0\.0\.1:80" retry=10 timeout=2 status=\+C /);
    expect(members[1]).toContain('"http://10.0.0.2:8080" retry=10 timeout=2');
  });

  it('checks the health path through the router and expects 200', () => {
    expect(checkUri).toBe('/teapot/health');
    expect(text).toContain('ProxyHCExpr delivery_ok {%{REQUEST_STATUS} == 200}');
    expect(text).toContain('hcmethod=GET hcuri=/teapot/health hcexpr=delivery_ok hcinterval=2');
  });

  it('passes the route to the balancer', () => {
    expect(text).toContain('ProxyPass "/teapot/" "balancer://bit-docker_teapot/teapot/"');
    expect(text).toContain('ProxyPassReverse "/teapot/" "balancer://bit-docker_teapot/teapot/"');
  });

  it('explains that an app answering 418 drops out', () => {
    expect(text).toContain('An app that answers 418 itself drops out of this balancer.');
    expect(warnings.join('\n')).toMatch(/answers 418 itself .* drops out/);
  });
});

describe('health check uri', () => {
  const route = { path: '/app/', host: null, strip_prefix: false };
  it.each([
    [{ ...route, strip_prefix: true }, '/health', '/app/health'],
    [{ ...route, strip_prefix: true }, null, '/app/'],
    [route, '/app/health', '/app/health'],
    [route, null, '/app/'],
    [{ path: null, host: 'a.example.org', strip_prefix: false }, '/up', '/up'],
  ])('%j + %s → %s', (r, h, uri) => {
    const warnings: string[] = [];
    expect(healthCheckUri(r, h, warnings)).toBe(uri);
    expect(warnings).toEqual([]);
  });

  it('warns when the health path is outside an unstripped prefix (the router would answer 418)', () => {
    const warnings: string[] = [];
    expect(healthCheckUri(route, '/health', warnings)).toBe('/app/');
    expect(warnings[0]).toContain('the router would answer 418');
  });
});

describe('previews', () => {
  const withPreview: LbInput = {
    ...input,
    preview: { path: '/pr-{number}/', host: null, hosts: [{ name: 'qa1', host: '10.1.0.1', httpPort: 80 }] },
  };

  it('turns the template into a pattern', () => {
    expect(templateRegex('/pr-{number}/')).toBe('/pr-[0-9]+/');
    expect(new RegExp('^' + templateRegex('/teapot-pr-{number}/')).test('/teapot-pr-12/x')).toBe(true);
    expect(new RegExp('^' + templateRegex('/pr.{number}/')).test('/prX1/')).toBe(false);
  });

  it('apache: a catch-all to the QA hosts, before the app, without failonstatus', () => {
    const { text } = lbConfig(withPreview, { format: 'apache' });
    const i = text.indexOf('ProxyPassMatch "^(/pr-[0-9]+/.*)$" "balancer://bit-docker_teapot_previews$1"');
    expect(i).toBeGreaterThan(0);
    expect(i).toBeLessThan(text.indexOf('ProxyPass "/teapot/"'));
    const block = text.slice(text.indexOf('<Proxy "balancer://bit-docker_teapot_previews">'), i);
    expect(block).toContain('"http://10.1.0.1:80"');
    expect(block).not.toContain('10.0.0.1');
    expect(block).not.toContain('failonstatus');
  });

  it('haproxy: a preview backend on the QA hosts, routed first', () => {
    const { text } = lbConfig(withPreview, { format: 'haproxy' });
    expect(text).toContain('use_backend bit-docker_teapot_previews if { path_reg ^/pr-[0-9]+/ }');
    expect(text.indexOf('_previews if')).toBeLessThan(text.indexOf('use_backend bit-docker_teapot if'));
    expect(text).toContain('server qa1-1 10.1.0.1:80');
  });
});

describe('lbConfig haproxy', () => {
  const { text } = lbConfig(input, { format: 'haproxy', bind: '127.0.0.1:8000' });
  it('checks with httpchk and expects 200, so 418 is "not here"', () => {
    expect(text).toContain('option httpchk');
    expect(text).toContain('http-check send meth GET uri /teapot/health ver HTTP/1.1');
    expect(text).toContain('http-check expect status 200');
    expect(text).toContain('bind 127.0.0.1:8000');
    expect(text).toContain('use_backend bit-docker_teapot if { path_beg /teapot/ }');
    expect(text.match(/^ {4}server /gm)).toHaveLength(2);
  });

  it('sends the Host header of a host route with the check', () => {
    const r = lbConfig({ ...input, route: { path: null, host: 'tea.example.org', strip_prefix: false } }, { format: 'haproxy' });
    expect(r.text).toContain('hdr Host tea.example.org');
    expect(r.text).toContain('use_backend bit-docker_teapot if { hdr(host),field(1,:) -i tea.example.org }');
  });
});

describe('warnings and refusals', () => {
  it('warns that Apache cannot check a host route', () => {
    const r = lbConfig({ ...input, route: { path: null, host: 'tea.example.org', strip_prefix: false } }, { format: 'apache' });
    expect(r.warnings.join('\n')).toContain('cannot send that Host header');
    expect(r.text).toContain('ServerName tea.example.org');
  });

  it('warns when there is no route or no host', () => {
    expect(lbConfig({ ...input, route: null }, { format: 'apache' }).warnings[0]).toContain('has no route');
    expect(lbConfig({ ...input, hosts: [] }, { format: 'apache' }).warnings[0]).toContain('has no host');
  });

  it('refuses text that would break out of the config', () => {
    expect(() => lbConfig({ ...input, healthPath: '/x"\nProxyPass / http://evil/' }, { format: 'apache' })).toThrow(/cannot carry/);
    expect(() => lbConfig({ ...input, hosts: [{ name: 'x', host: 'a b', httpPort: 80 }] }, { format: 'haproxy' })).toThrow(/cannot carry/);
  });
});
