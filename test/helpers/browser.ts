import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { ensureWebBuilt } from '../../ops/launcher/web-build';
import { startStack, type Stack } from './stack';

/** Debian's Chromium (`apt-get install chromium`); never a downloaded browser. */
export const CHROMIUM = process.env.CM_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Flags for a headless Chromium on a machine without a network beyond loopback: no background
 * connections (they would be refused, many at a time), no component updates, no first-run UI.
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Console errors and failed HTTP requests of the page, for assertions and failure messages. */
  problems: string[];
  close(): Promise<void>;
}

/** A fresh browser profile (its own `--user-data-dir`) with one page at a laptop-sized viewport. */
export async function openBrowser(
  label: string,
  opts: { colorScheme?: 'light' | 'dark'; viewport?: { width: number; height: number } } = {},
): Promise<Browser> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `cm-chromium-${label}-`));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: opts.viewport ?? { width: 1280, height: 800 },
    colorScheme: opts.colorScheme ?? 'light',
    timeout: 60_000,
  });
  context.setDefaultTimeout(30_000);
  const page = context.pages()[0] ?? (await context.newPage());
  const problems: string[] = [];
  // Failed API calls are recorded with their URL (the console's own line for them has none).
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource'))
      problems.push(`console: ${m.text()}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400)
      problems.push(`${r.request().method()} ${new URL(r.url()).pathname} → ${r.status()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  return {
    context,
    page,
    problems,
    async close() {
      await context.close().catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

const SHOTS = process.env.CM_UPDATE_SCREENSHOTS === '1' ? path.resolve(__dirname, '../../docs/images') : null;

/**
 * `docs/images/<name>-light.png` and `-dark.png` of the page as it is, only when the run was asked
 * to refresh them (`CM_UPDATE_SCREENSHOTS=1 npx jest test/e2e/web-*.test.ts`).
 */
export async function docScreenshot(page: Page, name: string): Promise<void> {
  if (!SHOTS) return;
  fs.mkdirSync(SHOTS, { recursive: true });
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.screenshot({ path: path.join(SHOTS, `${name}-${scheme}.png`) });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

/**
 * The dashboard for one browser test file: the built web app, a demo stack of the file's own and a
 * fresh browser, set up before the file's tests and torn down after them. Anything the page logs as
 * an error (a failed request, an exception in a component) fails the test it happened in.
 */
export function dashboardSuite(label: string): { stack: Stack; browser: Browser; page: Page } {
  const suite = {} as { stack: Stack; browser: Browser; page: Page };
  beforeAll(async () => {
    expect(await ensureWebBuilt((line) => console.log(line))).toBe(true);
    suite.stack = await startStack(`web_${label}`);
    suite.browser = await openBrowser(label);
    suite.page = suite.browser.page;
  }, 300_000);
  afterAll(async () => {
    await suite.browser?.close();
    await suite.stack?.stop();
  });
  afterEach(() => {
    expect(suite.browser.problems.splice(0)).toEqual([]);
  });
  return suite;
}
