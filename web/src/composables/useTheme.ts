import { ref, watchEffect } from 'vue';

export type ThemeChoice = 'system' | 'light' | 'dark';
const KEY = 'codex-manager.theme';

function stored(): ThemeChoice {
  try {
    const v = localStorage.getItem(KEY);
    return v === 'light' || v === 'dark' ? v : 'system';
  } catch {
    return 'system';
  }
}

const choice = ref<ThemeChoice>(stored());

/**
 * Light, dark, or the system's preference. The choice sits on `<html data-theme>`; CSS follows
 * `prefers-color-scheme` when it is `system`.
 */
export function useTheme() {
  watchEffect(() => {
    const root = document.documentElement;
    if (choice.value === 'system') root.removeAttribute('data-theme');
    else root.dataset.theme = choice.value;
    try {
      if (choice.value === 'system') localStorage.removeItem(KEY);
      else localStorage.setItem(KEY, choice.value);
    } catch {
      /* private mode: the choice lasts for this page */
    }
  });
  const cycle = () => {
    choice.value = choice.value === 'system' ? 'dark' : choice.value === 'dark' ? 'light' : 'system';
  };
  return { choice, cycle };
}
