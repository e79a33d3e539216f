import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { dashboardSuite, docScreenshot } from '../helpers/browser';
import { sendMessage, untrustedSession } from '../helpers/sessions';
import type { Stack } from '../helpers/stack';

// The dashboard's inbox and usage views in Debian's Chromium against the real stack in demo mode:
// requests raised by the real runtime show up with the badge, are worked through with the keyboard,
// leave when answered from anywhere, and the tokens of a turn show in the usage view.
jest.setTimeout(240_000);

const suite = dashboardSuite('inbox');
let stack: Stack;
let page: Page;
// Runs after the suite's own setup (hooks run in the order they are declared).
beforeAll(() => ({ stack, page } = suite));

const newSession = (extra: Record<string, unknown> = {}) => untrustedSession(stack, extra);
const send = (session: string, text: string, extra: Record<string, unknown> = {}) =>
  sendMessage(stack, session, text, extra);

/** Polls until `check` holds; the error says what was last seen. */
async function until<T>(what: string, read: () => Promise<T>, check: (v: T) => boolean): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const v = await read();
    if (check(v)) return v;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; last seen: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const badge = (n: number) =>
  page.locator(`[data-testid="inbox-badge"][data-count="${n}"]`).waitFor({ timeout: 60_000 });
const itemOf = (sessionId: string, kind: string) =>
  page.locator(`[data-testid="inbox-item"][data-kind="${kind}"]`).filter({
    has: page.locator(`a[href^="/chats/${sessionId}"]`),
  });
const selected = () => page.locator('[data-testid="inbox-item"][aria-current="true"]');
const turnStatus = async (session: string, turnId: string) =>
  (
    await stack.api<{ turns: { id: string; status: string }[] }>('GET', `/api/sessions/${session}`)
  ).body.turns.find((t) => t.id === turnId)?.status;

describe('the inbox in a real browser', () => {
  it('shows approvals and a question as they are raised, with the badge, and is worked through with the keyboard', async () => {
    await page.goto(`${stack.url}/inbox`);
    await page.getByTestId('inbox-empty').waitFor();
    await badge(0);

    const exec = await newSession();
    fs.rmSync(path.join(exec.cwd, 'out.txt'), { force: true });
    const execTurn = await send(exec.id, 'scn:exec');
    const execItem = itemOf(exec.id, 'approval');
    await execItem.waitFor({ timeout: 60_000 });
    await badge(1);
    // The command is there to read before deciding.
    expect(await execItem.getByTestId('inbox-command').textContent()).toContain('echo hi > out.txt');

    const patch = await newSession({ sandbox: 'read-only' });
    const patchTurn = await send(patch.id, 'scn:patch');
    const patchItem = itemOf(patch.id, 'approval');
    await patchItem.waitFor({ timeout: 60_000 });
    await badge(2);
    await patchItem.getByTestId('diff').first().waitFor();

    const ask = await newSession();
    await send(ask.id, 'scn:ask', { collaborationMode: 'plan' });
    const askItem = itemOf(ask.id, 'question');
    await askItem.waitFor({ timeout: 60_000 });
    await badge(3);
    await docScreenshot(page, 'inbox');

    // Newest first; the selection stayed on the first item while the others arrived above it.
    const kinds = await page
      .getByTestId('inbox-item')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')));
    expect(kinds).toEqual(['question', 'approval', 'approval']);
    await selected().getByTestId('inbox-command').waitFor();
    // k moves up to the file change and the question, j back down to the command.
    await page.keyboard.press('k');
    await selected().getByTestId('diff').first().waitFor();
    await page.keyboard.press('ArrowUp');
    await page.locator('[data-testid="inbox-item"][aria-current="true"][data-kind="question"]').waitFor();
    await page.keyboard.press('j');
    await page.keyboard.press('ArrowDown');
    await selected().getByTestId('inbox-command').waitFor();
    await page.keyboard.press('a');
    await execItem.waitFor({ state: 'detached', timeout: 60_000 });
    await badge(2);
    // The item that took its place (the file change) is selected: d declines it.
    await selected().getByTestId('diff').first().waitFor();
    await page.keyboard.press('d');
    await patchItem.waitFor({ state: 'detached', timeout: 60_000 });
    await badge(1);
    // a on a question does nothing but say so.
    await page.keyboard.press('a');
    await page.getByRole('status').filter({ hasText: 'Only approvals take a/d.' }).waitFor();

    await askItem.getByLabel('Blue').check();
    await askItem.getByRole('button', { name: 'Send answer' }).click();
    await askItem.waitFor({ state: 'detached', timeout: 60_000 });
    await badge(0);
    await page.getByTestId('inbox-empty').waitFor();

    // The decisions took effect, made by the web client.
    await until(
      'the approved turn to complete',
      () => turnStatus(exec.id, execTurn),
      (s) => s === 'completed',
    );
    expect(fs.readFileSync(path.join(exec.cwd, 'out.txt'), 'utf8')).toBe('hi\n');
    await until(
      'the declined turn to end',
      () => turnStatus(patch.id, patchTurn),
      (s) => s !== 'inProgress',
    );
    for (const [session, decision] of [
      [exec.id, 'accept'],
      [patch.id, 'decline'],
    ] as const) {
      const list = await stack.api<{ requests: { decision: string; resolvedBy: { source: string } }[] }>(
        'GET',
        `/api/sessions/${session}/approvals?status=all`,
      );
      expect(list.body.requests).toEqual([
        expect.objectContaining({ decision, resolvedBy: expect.objectContaining({ source: 'web' }) }),
      ]);
    }
    const inbox = await stack.api<{ counts: { total: number } }>('GET', '/api/inbox?limit=1');
    expect(inbox.body.counts.total).toBe(0);
  });

  it('opens an item in its chat with Enter, and drops it when another client answers it', async () => {
    await page.goto(`${stack.url}/inbox`);
    await badge(0);
    const s = await newSession();
    await send(s.id, 'scn:exec');
    const item = itemOf(s.id, 'approval');
    await item.waitFor({ timeout: 60_000 });
    await badge(1);
    const requestId = (await item.getAttribute('data-id'))!.replace(/^request:/, '');

    await page.keyboard.press('Enter');
    await page.waitForURL(`${stack.url}/chats/${s.id}#request-${requestId}`);
    const card = page.locator(`[id="request-${requestId}"]`);
    await card.waitFor();
    await until(
      'the approval card focused',
      () => page.evaluate('document.activeElement ? document.activeElement.id : ""'),
      (id) => id === `request-${requestId}`,
    );
    await page.goBack();
    await item.waitFor();

    // Someone else decides, through the API: the open inbox lets the item go, and the badge follows.
    const res = await stack.api(
      'POST',
      `/api/approvals/${requestId}/decision`,
      { decision: 'decline' },
      { 'x-client': 'cli', 'x-actor': 'bob' },
    );
    expect(res.status).toBe(200);
    await item.waitFor({ state: 'detached', timeout: 60_000 });
    await badge(0);
    await page.getByTestId('inbox-empty').waitFor();
  });

  it('shows the tokens of a completed turn in the usage view', async () => {
    const s = await newSession();
    const turnId = await send(s.id, 'scn:text hello');
    await until(
      'the turn to complete',
      () => turnStatus(s.id, turnId),
      (st) => st === 'completed',
    );
    const byTurn = await until(
      'the turn in the usage report',
      async () =>
        (
          await stack.api<{
            rows: { key: string; totalTokens: number; inputTokens: number; outputTokens: number }[];
          }>('GET', `/api/usage?groupBy=turn&sessionId=${s.id}`)
        ).body.rows,
      (rows) => rows.some((r) => r.key === turnId && r.totalTokens > 0),
    );
    const row = byTurn.find((r) => r.key === turnId)!;

    const nav = page.getByRole('navigation', { name: 'Operations' });
    await nav.getByRole('link', { name: 'Usage' }).click();
    await page.getByRole('heading', { name: 'Usage' }).waitFor();
    const today = new Date().toISOString().slice(0, 10);
    await page.locator(`[data-testid="usage-bar"][data-day="${today}"]`).waitFor();
    await page.getByRole('button', { name: 'Turn', exact: true }).click();
    const tr = page.locator(`[data-testid="usage-row"][data-key="${turnId}"]`);
    await tr.waitFor();
    const cells = (await tr.locator('td').allTextContents()).map((t) => t.trim());
    const num = (t: string) => Number(t.replace(/[^\d]/g, ''));
    expect(num(cells[1]!)).toBe(row.inputTokens);
    expect(num(cells[4]!)).toBe(row.totalTokens);
    await docScreenshot(page, 'usage');
  });
});
