import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { dashboardSuite, docScreenshot } from '../helpers/browser';
import type { Stack } from '../helpers/stack';

// The dashboard in Debian's Chromium against the real stack in demo mode: the journeys a user takes,
// each through the page only (buttons, the composer), checked on screen and against the API.
jest.setTimeout(180_000);

const suite = dashboardSuite('dashboard');
let stack: Stack;
let page: Page;
// Runs after the suite's own setup (hooks run in the order they are declared).
beforeAll(() => ({ stack, page } = suite));

const sessionIdOf = (p: Page) => /\/chats\/([^/?#]+)/.exec(p.url())?.[1] ?? '';

async function send(text: string, opts: { plan?: boolean } = {}): Promise<void> {
  if (opts.plan) await page.getByTestId('plan-mode').check();
  const box = page.getByLabel('Message', { exact: true });
  await box.fill(text);
  await box.press('Enter');
}

async function waitState(state: string): Promise<void> {
  await page.locator(`[data-testid="chat-state"][data-state="${state}"]`).waitFor({ timeout: 60_000 });
}

/** Polls the page until `check` holds; the error says what was last seen. */
async function until(
  what: string,
  check: () => Promise<boolean>,
  seen: () => Promise<unknown>,
): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; shown: ${JSON.stringify(await seen())}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The last agent message's text, without the screen-reader prefix. */
async function replyText(): Promise<string> {
  const all = page.getByTestId('agent-message');
  if ((await all.count()) === 0) return '';
  return ((await all.last().textContent()) ?? '').replace(/^Codex:/, '');
}

const replyIs = (text: string) =>
  until(`the reply ${JSON.stringify(text)}`, async () => (await replyText()) === text, replyText);
const replyHas = (pred: (t: string) => boolean, what: string) =>
  until(what, async () => pred(await replyText()), replyText);

/** A chat made over the API (for settings the composer does not offer), opened in the page. */
async function openNewChat(body: Record<string, unknown> = {}): Promise<string> {
  const res = await stack.api<{ session: { id: string } }>('POST', '/api/sessions', body);
  expect(res.status).toBe(201);
  await page.goto(`${stack.url}/chats/${res.body.session.id}`);
  await waitState('idle');
  return res.body.session.id;
}

const ticks = (n: number) => Array.from({ length: n }, (_, i) => `tick${i} `).join('');

describe('the web dashboard in a real browser', () => {
  it('lets a first-time user start a chat and watch the reply stream in', async () => {
    await page.goto(stack.url);
    await page.getByRole('heading', { name: 'Welcome to Codex Manager' }).waitFor();
    await docScreenshot(page, 'home');
    await page.getByRole('button', { name: 'Start a new chat' }).click();
    await page.waitForURL(/\/chats\//);
    const id = sessionIdOf(page);
    await waitState('idle');
    // A slow reply, so the page can be seen showing part of it before the end.
    await send('scn:slow:12x250');
    await replyHas((t) => t.includes('tick1 ') && !t.includes('tick11'), 'a part of the reply');
    await waitState('streaming');
    await replyIs(ticks(12));
    await waitState('completed');
    // The user's message, and the chat in the sidebar.
    await page.getByTestId('user-message').filter({ hasText: 'scn:slow:12x250' }).waitFor();
    await page.locator(`[data-testid="chat-item"][data-session-id="${id}"]`).waitFor();
    const detail = await stack.api<{ turns: { status: string }[] }>('GET', `/api/sessions/${id}`);
    expect(detail.body.turns.map((t) => t.status)).toEqual(['completed']);

    await send('scn:text hello');
    await replyIs('Hello from the scripted model.');
    await waitState('completed');
    // Reasoning is folded away until asked for.
    const thinking = page.getByTestId('reasoning').last();
    expect(await thinking.getAttribute('open')).toBeNull();
    await thinking.locator('summary').click();
    await thinking.getByText('Thinking about it').last().waitFor();
    await docScreenshot(page, 'chat');
  });

  it('asks before running a command and runs it once approved', async () => {
    const id = await openNewChat({ approvalPolicy: 'untrusted', sandbox: 'workspace-write' });
    const cwd = (await stack.api<{ session: { cwd: string } }>('GET', `/api/sessions/${id}`)).body.session
      .cwd;
    fs.rmSync(path.join(cwd, 'out.txt'), { force: true });
    await send('scn:exec');
    const card = page.getByTestId('approval-card');
    await card.waitFor();
    await waitState('waiting');
    expect(await card.textContent()).toContain('echo hi > out.txt');
    await docScreenshot(page, 'approval');
    await card.getByRole('button', { name: 'Approve', exact: true }).click();
    await page.locator('[data-testid="approval-card"][data-status="resolved"]').waitFor();
    expect(await page.getByTestId('approval-outcome').textContent()).toMatch(/^Approved by /);
    await waitState('completed');
    expect(fs.readFileSync(path.join(cwd, 'out.txt'), 'utf8')).toBe('hi\n');
    // The command, with its exit code, inspectable in place.
    const command = page.getByTestId('command');
    expect(await command.locator('summary').textContent()).toContain('exit 0');
    const approvals = await stack.api<{
      requests: { status: string; decision: string; resolvedBy: { source: string } }[];
    }>('GET', `/api/sessions/${id}/approvals?status=all`);
    expect(approvals.body.requests).toEqual([
      expect.objectContaining({
        status: 'resolved',
        decision: 'accept',
        resolvedBy: expect.objectContaining({ source: 'web' }),
      }),
    ]);
  });

  it('answers a question asked in plan mode', async () => {
    await openNewChat();
    await send('scn:ask', { plan: true });
    const form = page.getByTestId('question-form');
    await form.waitFor();
    await waitState('waiting');
    await docScreenshot(page, 'question');
    await form.getByLabel('Blue').check();
    await form.getByRole('button', { name: 'Send answer' }).click();
    await page.locator('[data-testid="question-form"][data-status="resolved"]').waitFor();
    expect(await form.textContent()).toContain('Which color should I use? Blue');
    await waitState('completed');
  });

  it('shows the whole reply after a reload in the middle of the stream', async () => {
    const id = await openNewChat();
    // 30 s of reply: long enough that the reloaded page is up well before it ends.
    await send('scn:slow:120x250');
    await replyHas((t) => t.includes('tick3 '), 'tick3 ');
    await page.reload();
    // What streamed before the reload is there, from the start, while the turn still runs...
    await replyHas((t) => t.startsWith('tick0 tick1 tick2 tick3 '), 'the part streamed before the reload');
    const detail = await stack.api<{ turns: { status: string }[] }>('GET', `/api/sessions/${id}`);
    expect(detail.body.turns.map((t) => t.status)).toEqual(['inProgress']);
    await waitState('streaming');
    // ...and the rest follows, each tick exactly once.
    await replyIs(ticks(120));
    await waitState('completed');
  });

  it('interrupts a slow turn', async () => {
    const id = await openNewChat();
    await send('scn:slow:200x200');
    await replyHas((t) => t.includes('tick2 '), 'tick2 ');
    await page.getByTestId('interrupt').click();
    await waitState('interrupted');
    await page.getByTestId('turn-interrupted').waitFor();
    const shown = await replyText();
    expect(shown).not.toContain('tick199');
    const detail = await stack.api<{ turns: { status: string }[] }>('GET', `/api/sessions/${id}`);
    expect(detail.body.turns.map((t) => t.status)).toEqual(['interrupted']);
  });

  it('renames, finds, archives and deletes chats from the sidebar, deleting only after confirmation', async () => {
    const id = await openNewChat();
    const item = page.locator(`[data-testid="chat-item"][data-session-id="${id}"]`);
    await item.locator('summary').click();
    await item.getByRole('button', { name: 'Rename' }).click();
    const title = item.getByLabel('Chat title');
    await title.fill('Quarterly report');
    await title.press('Enter');
    await item.getByText('Quarterly report').waitFor();
    await page.getByTestId('chat-title').filter({ hasText: 'Quarterly report' }).waitFor();

    await page.getByLabel('Search chats').fill('quarterly');
    await until(
      'one search result',
      async () => (await page.getByTestId('chat-item').count()) === 1,
      () => page.getByTestId('chat-item').allTextContents(),
    );
    await docScreenshot(page, 'sidebar-search');
    await page.getByLabel('Search chats').fill('');

    await item.locator('summary').click();
    await item.getByRole('button', { name: 'Archive' }).click();
    await item.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Archived', exact: true }).click();
    await item.waitFor();
    await item.locator('summary').click();
    await item.getByRole('button', { name: 'Delete…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect((await stack.api('GET', `/api/sessions/${id}`)).status).toBe(200);
    await item.locator('summary').click();
    await item.getByRole('button', { name: 'Delete…' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete chat' }).click();
    await item.waitFor({ state: 'detached' });
    await page.waitForURL(`${stack.url}/`);
    expect((await stack.api('GET', `/api/sessions/${id}`)).status).toBe(410);
    await page.getByRole('button', { name: 'Chats', exact: true }).click();
  });

  it('shows health, jobs and extensions', async () => {
    const nav = page.getByRole('navigation', { name: 'Operations' });
    await nav.getByRole('link', { name: 'Health' }).click();
    await page.locator('[data-testid="health-status"]').filter({ hasText: 'ready' }).waitFor();
    await docScreenshot(page, 'health');
    await nav.getByRole('link', { name: 'Jobs' }).click();
    await page.getByRole('heading', { name: 'Jobs' }).waitFor();
    await nav.getByRole('link', { name: 'Extensions' }).click();
    await page.getByRole('heading', { name: 'Extensions' }).waitFor();
    await page
      .getByRole('cell', { name: /auto-title|title/i })
      .first()
      .waitFor();
  });
});
