import { defineStore } from 'pinia';
import { ref } from 'vue';
import { ApiError, errorMessage } from '../api/client';
import type { UsageGroupBy, UsageReport, UsageRow, StreamEvent } from '../api/types';
import { deps } from '../deps';
import { useConnectionStore } from './connection.store';

/** How many days the chart shows (the newest ones with usage). */
export const CHART_DAYS = 30;

/** Events after which the numbers have changed: a turn used tokens, or ended. */
const CHANGES = new Set(['runtime.thread.tokenUsage.updated', 'runtime.turn.completed']);

const dayAfter = (day: string) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

/**
 * Token use and cost (`GET /api/usage`): the table for the chosen grouping and, always, the last
 * days for the chart. While a page watches (`watch()` returns its unwatch), it re-reads shortly
 * after token-usage events, once per burst.
 */
export const useUsageStore = defineStore('usage', () => {
  const groupBy = ref<UsageGroupBy>('day');
  const from = ref('');
  const to = ref('');
  const report = ref<UsageReport | null>(null);
  const days = ref<UsageRow[]>([]);
  const loading = ref(false);
  const error = ref<string | null>(null);
  const available = ref(true);
  let generation = 0;
  let watchers = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;

  async function load(): Promise<void> {
    const gen = ++generation;
    loading.value = true;
    // The route's `to` is exclusive; the page's "to" date is the last day shown.
    const range = { from: from.value || undefined, to: to.value ? dayAfter(to.value) : undefined };
    try {
      const table = deps().inbox.usage({ groupBy: groupBy.value, ...range });
      const chart =
        groupBy.value === 'day' ? table : deps().inbox.usage({ groupBy: 'day', limit: CHART_DAYS, ...range });
      const [t, c] = await Promise.all([table, chart]);
      if (gen !== generation) return;
      report.value = t;
      days.value = c.rows.slice(0, CHART_DAYS);
      error.value = null;
      available.value = true;
    } catch (e) {
      if (gen !== generation) return;
      if (e instanceof ApiError && e.status === 404 && /route/i.test(e.message)) available.value = false;
      else error.value = errorMessage(e);
    } finally {
      if (gen === generation) loading.value = false;
    }
  }

  function setGroupBy(g: UsageGroupBy): Promise<void> {
    groupBy.value = g;
    return load();
  }

  function watch(): () => void {
    watchers++;
    return () => {
      watchers--;
    };
  }

  useConnectionStore().subscribe((events: StreamEvent[]) => {
    if (watchers === 0 || timer || !events.some((e) => CHANGES.has(e.type))) return;
    timer = setTimeout(() => {
      timer = null;
      void load();
    }, 1000);
  });

  return { groupBy, from, to, report, days, loading, error, available, load, setGroupBy, watch };
});
