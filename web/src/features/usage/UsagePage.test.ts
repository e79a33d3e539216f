import { mount, type VueWrapper } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { createMemoryHistory, createRouter } from 'vue-router';
import type { UsageReport, UsageRow } from '../../api/types';
import { flush, fakeWorld, type FakeWorld } from '../../../test/fakes';
import { useConnectionStore } from '../../stores/connection.store';
import UsagePage from './UsagePage.vue';

let world: FakeWorld;
let wrapper: VueWrapper | null = null;
afterEach(() => {
  wrapper?.unmount();
  wrapper = null;
  jest.useRealTimers();
});

const row = (key: string, total: number, over: Partial<UsageRow> = {}): UsageRow => ({
  key,
  label: null,
  turns: 1,
  inputTokens: total - 100,
  cachedInputTokens: 200,
  outputTokens: 100,
  reasoningOutputTokens: 20,
  totalTokens: total,
  cost: 0.5,
  ...over,
});

const report = (groupBy: UsageReport['groupBy'], rows: UsageRow[], extra: Partial<UsageReport> = {}) => ({
  groupBy,
  rows,
  totals: {
    turns: rows.length,
    inputTokens: rows.reduce((s, r) => s + r.inputTokens, 0),
    cachedInputTokens: rows.reduce((s, r) => s + r.cachedInputTokens, 0),
    outputTokens: rows.reduce((s, r) => s + r.outputTokens, 0),
    reasoningOutputTokens: 0,
    totalTokens: rows.reduce((s, r) => s + r.totalTokens, 0),
    cost: rows.some((r) => r.cost === null) ? null : rows.reduce((s, r) => s + (r.cost ?? 0), 0),
  },
  currency: 'USD',
  prices: {},
  rateLimits: null,
  ...extra,
});

const days = [row('2026-01-03', 3000), row('2026-01-01', 1000)];

async function mountPage(): Promise<VueWrapper> {
  world = fakeWorld();
  setActivePinia(createPinia());
  world.routes.set('GET /api/usage', (_b: unknown, url: string) => {
    const g = new URL(url, 'http://x').searchParams.get('groupBy');
    if (g === 'session')
      return report('session', [row('s1', 5000, { label: 'Fix the build', cost: null }), row('s2', 400)]);
    return report('day', days, {
      // The newest snapshot as the runtime sent it, with when it was seen.
      rateLimits: {
        limitId: 'codex',
        primary: { usedPercent: 42, windowDurationMins: 300, resetsAt: 1767225600 },
        secondary: { usedPercent: 7, windowDurationMins: 10080, resetsAt: null },
        planType: 'pro',
        observedAt: new Date().toISOString(),
      },
    });
  });
  useConnectionStore().connect();
  world.main().serverConnect({ head: 0, cursor: 0 });
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [{ path: '/:p(.*)*', component: UsagePage }],
  });
  wrapper = mount(UsagePage, { global: { plugins: [router] } });
  await flush();
  return wrapper;
}

describe('the usage page', () => {
  it('charts tokens per day with a bar for every day, empty days included', async () => {
    const w = await mountPage();
    expect(world.calls.map((c) => c.url)).toEqual(['/api/usage?groupBy=day']);
    const bars = w.findAll('[data-testid="usage-bar"]');
    expect(bars.map((b) => [b.attributes('data-day'), b.attributes('data-total')])).toEqual([
      ['2026-01-01', '1000'],
      ['2026-01-02', '0'],
      ['2026-01-03', '3000'],
    ]);
    // The tallest day fills the plot; the others are in proportion.
    const height = (i: number) =>
      bars[i]!.findAll('rect').reduce((s, r) => s + Number(r.attributes('height')), 0);
    expect(height(0) / height(2)).toBeCloseTo(1000 / 3000, 5);
  });

  it('tables input, cached and output tokens and cost, with the totals', async () => {
    const w = await mountPage();
    const rows = w.findAll('[data-testid="usage-row"]');
    expect(rows.map((r) => r.attributes('data-key'))).toEqual(['2026-01-03', '2026-01-01']);
    const cells = rows[0]!.findAll('td').map((c) => c.text());
    expect(cells.slice(0, 3)).toEqual(['1', (2900).toLocaleString(), '200']);
    expect(cells[4]).toBe((3000).toLocaleString());
    expect(cells[5]).toBe('$0.50');
    const totals = w
      .find('[data-testid="usage-totals"]')
      .findAll('td')
      .map((c) => c.text());
    expect(totals[4]).toBe((4000).toLocaleString());
    expect(totals[5]).toBe('$1.00');
  });

  it('shows the rate-limit windows', async () => {
    const w = await mountPage();
    const limits = w.find('[data-testid="rate-limits"]');
    expect(limits.text()).toContain('Primary 5-hour window');
    expect(limits.text()).toContain('42% used');
    expect(limits.text()).toContain('Secondary 7-day window');
    expect(limits.text()).toContain('plan pro');
    expect(limits.find('meter').attributes('value')).toBe('42');
  });

  it('groups by chat on request, keeping the daily chart, and marks a cost it cannot price', async () => {
    const w = await mountPage();
    await w
      .findAll('button')
      .find((b) => b.text() === 'Chat')!
      .trigger('click');
    await flush();
    expect(
      world.calls
        .slice(1)
        .map((c) => c.url)
        .sort(),
    ).toEqual(['/api/usage?groupBy=day&limit=30', '/api/usage?groupBy=session']);
    const first = w.findAll('[data-testid="usage-row"]')[0]!;
    expect(first.find('a').attributes('href')).toBe('/chats/s1');
    expect(first.text()).toContain('Fix the build');
    expect(first.findAll('td').at(-1)!.text()).toBe('—');
    expect(w.find('[data-testid="usage-totals"]').findAll('td').at(-1)!.text()).toBe('—');
    expect(w.findAll('[data-testid="usage-bar"]')).toHaveLength(3);
  });

  it('reads a range of days, the last one included', async () => {
    const w = await mountPage();
    await w.find('#usage-from').setValue('2026-01-01');
    await w.find('#usage-to').setValue('2026-01-03');
    await w.find('#usage-to').trigger('change');
    await flush();
    expect(world.calls.at(-1)!.url).toBe('/api/usage?groupBy=day&from=2026-01-01&to=2026-01-04');
  });

  it('re-reads once after a burst of token-usage events while shown', async () => {
    jest.useFakeTimers();
    await mountPage();
    const before = world.calls.length;
    const ev = (seq: number) => ({
      seq,
      ts: '',
      type: 'runtime.thread.tokenUsage.updated',
      threadId: 's1',
      source: 'runtime-bridge',
      data: {},
    });
    world.main().serverEvents([ev(1)]);
    world.main().serverEvents([ev(2)]);
    jest.advanceTimersByTime(1500);
    await flush();
    expect(world.calls.length).toBe(before + 1);
    wrapper!.unmount();
    wrapper = null;
    world.main().serverEvents([ev(3)]);
    jest.advanceTimersByTime(1500);
    await flush();
    expect(world.calls.length).toBe(before + 1);
  });
});
