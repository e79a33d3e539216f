import { defineStore } from 'pinia';
import { ref } from 'vue';
import { ApiError, errorMessage } from '../api/client';
import type { Extension, Health, Job, StreamEvent } from '../api/types';
import { deps } from '../deps';
import { useConnectionStore } from './connection.store';

/** Health, jobs and extensions: the operator pages. Each re-reads when its events arrive. */
export const useHealthStore = defineStore('health', () => {
  const health = ref<Health | null>(null);
  const error = ref<string | null>(null);
  const loadedAt = ref<Date | null>(null);

  async function load(): Promise<void> {
    try {
      health.value = await deps().system.health();
      error.value = null;
    } catch (e) {
      // 503 still says what is missing.
      if (
        e instanceof ApiError &&
        e.status === 503 &&
        e.body &&
        typeof e.body === 'object' &&
        'status' in e.body
      ) {
        health.value = e.body as Health;
        error.value = null;
      } else error.value = errorMessage(e);
    }
    loadedAt.value = new Date();
  }

  return { health, error, loadedAt, load };
});

export const useJobsStore = defineStore('jobs', () => {
  const byId = ref<Record<string, Job>>({});
  const order = ref<string[]>([]);
  const status = ref('');
  const error = ref<string | null>(null);
  const available = ref(true);
  const busy = ref<Record<string, boolean>>({});
  let timer: ReturnType<typeof setTimeout> | null = null;

  async function load(): Promise<void> {
    try {
      const res = await deps().system.jobs({ status: status.value || undefined });
      byId.value = Object.fromEntries(res.jobs.map((j) => [j.id, j]));
      order.value = res.jobs.map((j) => j.id);
      error.value = null;
      available.value = true;
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) available.value = false;
      else error.value = errorMessage(e);
    }
  }

  async function act(id: string, action: 'cancel' | 'retry'): Promise<void> {
    busy.value[id] = true;
    try {
      const { job } =
        action === 'cancel' ? await deps().system.cancelJob(id) : await deps().system.retryJob(id);
      byId.value[job.id] = job;
      error.value = null;
    } catch (e) {
      error.value = errorMessage(e);
    } finally {
      busy.value[id] = false;
    }
  }

  useConnectionStore().subscribe((events: StreamEvent[]) => {
    if (!events.some((e) => e.type.startsWith('job.')) || timer) return;
    timer = setTimeout(() => {
      timer = null;
      void load();
    }, 300);
  });

  return { byId, order, status, error, available, busy, load, act };
});

export const useExtensionsStore = defineStore('extensions', () => {
  const extensions = ref<Extension[]>([]);
  const hostUp = ref<boolean | null>(null);
  const audit = ref<
    { id: string; status: string; requestedBy?: string; createdAt: string; error?: unknown }[]
  >([]);
  const error = ref<string | null>(null);
  const available = ref(true);
  const reloading = ref(false);

  async function load(): Promise<void> {
    try {
      const res = await deps().system.extensions();
      extensions.value = res.extensions;
      hostUp.value = res.host?.up ?? null;
      available.value = true;
      error.value = null;
      audit.value = (await deps().system.extensionAudit()).reloads;
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) available.value = false;
      else error.value = errorMessage(e);
    }
  }

  async function reload(): Promise<void> {
    reloading.value = true;
    try {
      await deps().system.reloadExtensions();
      error.value = null;
    } catch (e) {
      error.value = errorMessage(e);
    } finally {
      reloading.value = false;
      await load();
    }
  }

  useConnectionStore().subscribe((events: StreamEvent[]) => {
    if (events.some((e) => e.type.startsWith('extension.reload') || e.type === 'extension.host.started'))
      void load();
  });

  return { extensions, hostUp, audit, error, available, reloading, load, reload };
});
