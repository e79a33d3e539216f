import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { ApiError, errorMessage } from '../api/client';
import type { Project, StreamEvent } from '../api/types';
import { deps } from '../deps';
import { useConnectionStore } from './connection.store';

/** Projects (manager-owned folders of chats), by id; re-read when a `project.*` event says so. */
export const useProjectsStore = defineStore('projects', () => {
  const byId = ref<Record<string, Project>>({});
  const error = ref<string | null>(null);
  /** False on a gateway without project routes: the sidebar then hides projects. */
  const available = ref(true);

  const projects = computed(() => Object.values(byId.value).sort((a, b) => a.name.localeCompare(b.name)));

  async function load(): Promise<void> {
    try {
      const res = await deps().projects.list();
      byId.value = Object.fromEntries(res.projects.map((p) => [p.id, p]));
      available.value = true;
      error.value = null;
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) available.value = false;
      else error.value = errorMessage(e);
    }
  }

  async function create(name: string): Promise<Project> {
    const { project } = await deps().projects.create(name);
    byId.value[project.id] = project;
    return project;
  }

  async function rename(id: string, name: string): Promise<void> {
    const { project } = await deps().projects.rename(id, name);
    byId.value[project.id] = project;
  }

  async function remove(id: string): Promise<void> {
    await deps().projects.remove(id);
    delete byId.value[id];
  }

  useConnectionStore().subscribe((events: StreamEvent[]) => {
    if (
      events.some(
        (e) =>
          e.type.startsWith('project.') ||
          (e.type === 'session.updated' && 'projectId' in ((e.data.changes as object) ?? {})),
      )
    )
      void load();
  });

  return { byId, projects, error, available, load, create, rename, remove };
});
