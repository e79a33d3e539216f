import fs from 'node:fs';
import path from 'node:path';
import express, { type Router } from 'express';

/** Shown at `/` when the dashboard has not been built: says exactly how to get it. */
const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark"><title>Codex Manager: dashboard not built</title>
<style>body{font-family:system-ui,sans-serif;max-width:42rem;margin:3rem auto;padding:0 1rem;line-height:1.5}
code,pre{background:color-mix(in srgb,currentColor 10%,transparent);padding:.1rem .3rem;border-radius:4px}</style></head>
<body><h1>Codex Manager is running</h1>
<p>The web dashboard has not been built in this checkout, so there is nothing to show here yet. The API works:
<a href="/api/health">/api/health</a>.</p>
<p>Build the dashboard, then reload this page:</p>
<pre>npm run build -w @codex-manager/web</pre>
<p><code>npm start</code> builds it by itself when it is missing or older than its sources.</p>
</body></html>`;

/**
 * The built dashboard (`web/dist`) at `/`, with every other non-API path answered by its
 * `index.html` (the app routes in the browser). Hashed assets are cached for good; `index.html`
 * never is, so a rebuild shows at the next load. Without a build, a page says how to make one; the
 * check runs per request, so a build made while the gateway runs is picked up.
 */
export function webRoutes(webRoot: string): Router {
  const router = express.Router();
  const index = path.join(webRoot, 'index.html');
  let built = false;
  const isBuilt = () => (built ||= fs.existsSync(index));
  router.use(
    '/assets',
    express.static(path.join(webRoot, 'assets'), { immutable: true, maxAge: '365d', fallthrough: false }),
  );
  router.use((req, res, next) => {
    if (!isBuilt()) return next();
    express.static(webRoot, { index: false, maxAge: '1h' })(req, res, next);
  });
  router.get('/{*path}', (_req, res) => {
    res.set('Cache-Control', 'no-cache');
    if (!isBuilt()) return void res.status(200).type('html').send(NOT_BUILT);
    res.sendFile(index);
  });
  return router;
}
