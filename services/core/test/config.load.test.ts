import fs from 'node:fs';
import path from 'node:path';
import { CONFIG_OPTIONS, ConfigError, assertSafeBind, loadConfig } from '../src';

describe('loadConfig', () => {
  it('takes a flag over an environment variable over the default', () => {
    expect(loadConfig({ argv: [], env: {} }).config.port).toBe(8787);
    expect(loadConfig({ argv: [], env: { CM_PORT: '9000' } }).config.port).toBe(9000);
    expect(loadConfig({ argv: ['--port', '9100'], env: { CM_PORT: '9000' } }).config.port).toBe(9100);
  });

  it('refuses a non-loopback bind without an API token, naming the variable to set', () => {
    const open = loadConfig({ argv: ['--host', '0.0.0.0'], env: {} }).config;
    expect(() => assertSafeBind(open)).toThrow(ConfigError);
    expect(() => assertSafeBind(open)).toThrow(/CM_API_TOKEN/);
    expect(() => assertSafeBind(loadConfig({ argv: [], env: {} }).config)).not.toThrow();
    const withToken = loadConfig({
      argv: ['--host', '0.0.0.0'],
      env: { CM_API_TOKEN: 'x'.repeat(20) },
    }).config;
    expect(() => assertSafeBind(withToken)).not.toThrow();
  });

  it('generates a token file once (mode 600) and reuses it, which satisfies the non-loopback rule', () => {
    const dir = fs.mkdtempSync(path.join(path.resolve(__dirname, '../../..'), '.data', 'token-'));
    try {
      const file = path.join(dir, 'secrets', 'api-token');
      const a = loadConfig({ argv: ['--host', '0.0.0.0', '--api-token-file', file], env: {} }).config;
      expect(() => assertSafeBind(a)).not.toThrow();
      expect(a.apiToken).toMatch(/^[\w-]{32}$/);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      const b = loadConfig({ argv: ['--api-token-file', file], env: {} }).config;
      expect(b.apiToken).toBe(a.apiToken);
      // An explicit token wins over the file.
      expect(
        loadConfig({ argv: ['--api-token-file', file], env: { CM_API_TOKEN: 'y'.repeat(20) } }).config
          .apiToken,
      ).toBe('y'.repeat(20));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects unknown flags and bad values with messages that say what to fix', () => {
    expect(() => loadConfig({ argv: ['--bogus'] })).toThrow(ConfigError);
    expect(() => loadConfig({ argv: [], env: { CM_PORT: 'abc' } })).toThrow(/CM_PORT/);
    expect(() => loadConfig({ argv: [], env: { CM_API_TOKEN: 'short' } })).toThrow(/16 characters/);
  });

  it('is documented: every variable appears in docs/configuration.md and README.md', () => {
    const root = path.resolve(__dirname, '../../..');
    const docs = fs.readFileSync(path.join(root, 'docs/configuration.md'), 'utf8');
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    for (const o of CONFIG_OPTIONS) {
      expect(docs).toContain(`\`${o.env}\``);
      expect(docs).toContain(`--${o.flag}`);
      expect(readme).toContain(`\`${o.env}\``);
    }
  });
});
