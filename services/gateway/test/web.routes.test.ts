import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { webRoutes } from '../src/http/web';

// The dashboard's static serving, on a throwaway web root: the "not built" page, then a build
// appearing while the server runs, client-side routes, asset caching.
let dir: string;
let server: http.Server;
let url: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-web-'));
  const app = express();
  app.use('/api', (_req, res) => void res.status(404).json({ error: { code: 'not_found' } }));
  app.use(webRoutes(dir));
  server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('serving the web dashboard', () => {
  it('without a build, answers every page with how to build it', async () => {
    for (const p of ['/', '/chats/abc']) {
      const res = await fetch(url + p);
      expect(res.status).toBe(200);
      const body = await res.text();
      expect(body).toContain('npm run build -w @codex-manager/web');
    }
  });

  it('serves a build made while running: index for client routes, long-lived hashed assets, API untouched', async () => {
    fs.mkdirSync(path.join(dir, 'assets'));
    fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><div id="app"></div>');
    fs.writeFileSync(path.join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
    const home = await fetch(`${url}/`);
    expect(await home.text()).toContain('<div id="app">');
    expect(home.headers.get('cache-control')).toBe('no-cache');
    const deep = await fetch(`${url}/chats/some-id`);
    expect(await deep.text()).toContain('<div id="app">');
    const asset = await fetch(`${url}/assets/index-abc123.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    const missing = await fetch(`${url}/assets/gone.js`);
    expect(missing.status).toBe(404);
    const api = await fetch(`${url}/api/nope`);
    expect(api.status).toBe(404);
    expect(await api.json()).toEqual({ error: { code: 'not_found' } });
  });
});
