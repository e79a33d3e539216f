import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveConnection } from '../../src/config/connection';
import { profilesPath, readProfiles, writeProfiles } from '../../src/config/profiles';
import { CliError } from '../../src/errors';

let dir: string;
let file: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cmgr-profiles-'));
  file = path.join(dir, 'codex-manager', 'profiles.json');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const write = (data: unknown) => {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(data));
};

describe('the profiles file', () => {
  it('lives at $CM_CONFIG_FILE, else under $XDG_CONFIG_HOME, else ~/.config', () => {
    expect(profilesPath({ CM_CONFIG_FILE: '/x/p.json', XDG_CONFIG_HOME: '/xdg' })).toBe('/x/p.json');
    expect(profilesPath({ XDG_CONFIG_HOME: '/xdg', HOME: '/home/u' })).toBe(
      '/xdg/codex-manager/profiles.json',
    );
    expect(profilesPath({ HOME: '/home/u' })).toBe('/home/u/.config/codex-manager/profiles.json');
  });

  it('is written atomically with mode 600 and keeps keys it does not know', () => {
    write({
      defaultProfile: 'a',
      profiles: { a: { baseUrl: 'http://a', token: null, color: 'blue' } },
      extra: 1,
    });
    const loaded = readProfiles(file);
    loaded.data.profiles.b = { baseUrl: 'http://b', token: 't' };
    writeProfiles(file, loaded.data);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({
      defaultProfile: 'a',
      profiles: {
        a: { baseUrl: 'http://a', token: null, color: 'blue' },
        b: { baseUrl: 'http://b', token: 't' },
      },
      extra: 1,
    });
    expect(fs.readdirSync(path.dirname(file))).toEqual(['profiles.json']);
  });

  it('reports a broken file as a usage error naming the file', () => {
    write('nope');
    fs.writeFileSync(file, '{"profiles": ');
    expect(() => readProfiles(file)).toThrow(
      expect.objectContaining({ code: 'invalid_config', exitCode: 2 }),
    );
    write({ profiles: { a: { token: 'x' } } });
    expect(() => readProfiles(file)).toThrow(/not a valid profiles file/);
  });
});

describe('resolveConnection', () => {
  beforeEach(() =>
    write({
      defaultProfile: 'local',
      profiles: {
        local: { baseUrl: 'http://127.0.0.1:9000/api/', token: 'local-token' },
        prod: { baseUrl: 'https://prod.example', token: 'prod-token' },
      },
    }),
  );

  it('uses the default profile when nothing else is said', () => {
    const c = resolveConnection({}, {}, file);
    expect(c).toMatchObject({
      baseUrl: 'http://127.0.0.1:9000',
      token: 'local-token',
      profile: 'local',
      sources: { baseUrl: 'profile', token: 'profile', profile: 'profile' },
    });
  });

  it('ranks flag over environment over profile', () => {
    const env = { CM_URL: 'http://env:1', CM_TOKEN: 'env-token', CM_PROFILE: 'prod' };
    expect(resolveConnection({}, env, file)).toMatchObject({
      baseUrl: 'http://env:1',
      token: 'env-token',
      profile: 'prod',
      sources: { baseUrl: 'env', token: 'env', profile: 'env' },
    });
    expect(
      resolveConnection({ url: 'http://flag:2', token: 'flag-token', profile: 'local' }, env, file),
    ).toMatchObject({
      baseUrl: 'http://flag:2',
      token: 'flag-token',
      profile: 'local',
      sources: { baseUrl: 'flag', token: 'flag', profile: 'flag' },
    });
    expect(resolveConnection({ profile: 'prod' }, {}, file)).toMatchObject({
      baseUrl: 'https://prod.example',
      token: 'prod-token',
    });
  });

  it('falls back to http://127.0.0.1:8787 and no token without a file', () => {
    const c = resolveConnection({}, {}, path.join(dir, 'none.json'));
    expect(c).toMatchObject({
      baseUrl: 'http://127.0.0.1:8787',
      token: null,
      profile: null,
      sources: { baseUrl: 'default' },
    });
  });

  it('rejects an unknown profile and a URL that is not http(s), listing what exists', () => {
    let err: CliError | undefined;
    try {
      resolveConnection({ profile: 'staging' }, {}, file);
    } catch (e) {
      err = e as CliError;
    }
    expect(err).toMatchObject({
      code: 'unknown_profile',
      exitCode: 2,
      suggestion: expect.stringContaining('local, prod'),
    });
    expect(() => resolveConnection({ url: 'ftp://x' }, {}, file)).toThrow(/must be an http\(s\) URL/);
    expect(() => resolveConnection({}, { CM_URL: 'not a url' }, file)).toThrow(
      /CM_URL: 'not a url' is not a URL/,
    );
  });

  it('names the actor from the flag, then CM_ACTOR, then the login name', () => {
    expect(resolveConnection({ actor: 'alice' }, { CM_ACTOR: 'bob' }, file).actor).toBe('alice');
    expect(resolveConnection({}, { CM_ACTOR: 'bob' }, file).actor).toBe('bob');
    expect(resolveConnection({}, {}, file).actor).toBe(os.userInfo().username);
  });
});
