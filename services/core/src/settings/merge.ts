/**
 * Settings writes. `merge` is a JSON Merge Patch (RFC 7396): objects merge key by key at every
 * depth, `null` deletes a key, anything else (arrays included) replaces. `replace` makes the given
 * object the whole new value (its `null`s are dropped the same way).
 */
export type WriteMode = 'merge' | 'replace';

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** The settings of a scope after a write of `values` in `mode`. */
export function applyWrite(
  current: Record<string, unknown>,
  values: Record<string, unknown>,
  mode: WriteMode,
): Record<string, unknown> {
  return mergePatch(mode === 'merge' ? current : {}, values) as Record<string, unknown>;
}
