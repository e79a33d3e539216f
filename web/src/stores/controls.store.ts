import { defineStore } from 'pinia';
import { ref } from 'vue';
import { ApiError, errorMessage } from '../api/client';
import type { Controls, Model, SessionControls } from '../api/types';
import { deps } from '../deps';

/** The per-session controls panel: effective values, where each comes from, and edits. */
export const useControlsStore = defineStore('controls', () => {
  const sessionId = ref<string | null>(null);
  const data = ref<SessionControls | null>(null);
  const models = ref<Model[]>([]);
  const saving = ref(false);
  const error = ref<string | null>(null);
  const available = ref(true);
  let generation = 0;

  async function load(id: string): Promise<void> {
    const gen = ++generation;
    sessionId.value = id;
    data.value = null;
    error.value = null;
    try {
      const res = await deps().sessions.controls(id);
      if (gen === generation) {
        data.value = res;
        available.value = true;
      }
    } catch (e) {
      if (gen !== generation) return;
      if (e instanceof ApiError && e.status === 404 && !/session/i.test(e.message)) available.value = false;
      else error.value = errorMessage(e);
    }
    if (models.value.length === 0) {
      try {
        const res = await deps().sessions.models();
        models.value = res.data ?? res.models ?? [];
      } catch {
        /* a free-text model field still works */
      }
    }
  }

  async function save(patch: Partial<Controls>): Promise<boolean> {
    const id = sessionId.value;
    if (!id) return false;
    saving.value = true;
    error.value = null;
    try {
      const res = await deps().sessions.setControls(id, patch);
      if (sessionId.value === id) data.value = res;
      return true;
    } catch (e) {
      error.value = errorMessage(e);
      return false;
    } finally {
      saving.value = false;
    }
  }

  return { sessionId, data, models, saving, error, available, load, save };
});
