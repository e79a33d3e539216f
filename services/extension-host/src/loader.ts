import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { EventEnvelope } from '@codex-manager/core';
import { isCompatible, manifestSchema, matchesEvent, type Manifest } from './manifest';
import type { HandlerContext } from './handler-context';

export type Handler = (event: EventEnvelope, ctx: HandlerContext) => unknown;

/** What an extension module's default export receives to register its handlers. */
export interface RegisterApi {
  on(event: string, handler: Handler): void;
  /** Settings the host hands this extension from its configuration (bundled ones only; else `{}`). */
  options: Record<string, unknown>;
}

export interface Candidate {
  dir: string;
  /** `bundled` or the configured root the folder was found in. */
  origin: string;
  /** Per extension name: the `options` its register function receives (set on a root). */
  options?: Record<string, Record<string, unknown>>;
}

export interface HandlerEntry {
  event: string;
  /** Registration order inside the extension. */
  index: number;
  handle: Handler;
}

export interface LoadedExtension {
  manifest: Manifest;
  dir: string;
  origin: string;
  handlers: HandlerEntry[];
}

export type LoadResult =
  | { state: 'active'; extension: LoadedExtension }
  | { state: 'incompatible'; manifest: Manifest; dir: string; origin: string; error: string }
  | { state: 'invalid'; name: string; manifest?: Manifest; dir: string; origin: string; error: string };

/** Extension folders (with an `extension.json`) directly under each root, in name order. */
export function discover(roots: Candidate[]): Candidate[] {
  const out: Candidate[] = [];
  for (const root of roots) {
    if (!fs.existsSync(root.dir)) continue;
    for (const entry of fs
      .readdirSync(root.dir, { withFileTypes: true })
      .sort((a, b) => a.name.localeCompare(b.name))) {
      if (!entry.isDirectory()) continue;
      const dir = path.join(root.dir, entry.name);
      if (fs.existsSync(path.join(dir, 'extension.json')))
        out.push({ dir, origin: root.origin, ...(root.options ? { options: root.options } : {}) });
    }
  }
  return out;
}

/**
 * Reads and checks the manifest, then imports the module and lets it register its handlers. The
 * module URL carries `generation` so a reload imports the code afresh instead of Node's cached copy.
 * A handler for an event the manifest does not declare makes the extension invalid.
 */
export async function loadExtension(c: Candidate, generation: number): Promise<LoadResult> {
  const fallbackName = path.basename(c.dir);
  let manifest: Manifest;
  try {
    const raw: unknown = JSON.parse(fs.readFileSync(path.join(c.dir, 'extension.json'), 'utf8'));
    const parsed = manifestSchema.safeParse(raw);
    if (!parsed.success) {
      const why = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
      return {
        state: 'invalid',
        name: fallbackName,
        dir: c.dir,
        origin: c.origin,
        error: `extension.json: ${why}`,
      };
    }
    manifest = parsed.data;
  } catch (e) {
    return {
      state: 'invalid',
      name: fallbackName,
      dir: c.dir,
      origin: c.origin,
      error: `extension.json: ${(e as Error).message}`,
    };
  }
  if (!isCompatible(manifest)) {
    return {
      state: 'incompatible',
      manifest,
      dir: c.dir,
      origin: c.origin,
      error: `needs core API ${manifest.coreApi}`,
    };
  }
  const fail = (error: string): LoadResult => ({
    state: 'invalid',
    name: manifest.name,
    manifest,
    dir: c.dir,
    origin: c.origin,
    error,
  });
  try {
    const file = path.join(c.dir, manifest.main);
    const mod = (await import(`${pathToFileURL(file).href}?generation=${generation}`)) as {
      default?: unknown;
      register?: unknown;
    };
    const register = (mod.default ?? mod.register) as ((api: RegisterApi) => unknown) | undefined;
    if (typeof register !== 'function')
      return fail(`${manifest.main} exports no register function (default export)`);
    const handlers: HandlerEntry[] = [];
    const problems: string[] = [];
    await register({
      options: c.options?.[manifest.name] ?? {},
      on(event, handle) {
        if (typeof handle !== 'function') problems.push(`handler for ${event} is not a function`);
        else if (!manifest.events.some((p) => p === event || matchesEvent(p, event)))
          problems.push(`handler for ${event}, which extension.json does not list in events`);
        else handlers.push({ event, index: handlers.length, handle });
      },
    });
    if (problems.length > 0) return fail(problems.join('; '));
    if (handlers.length === 0) return fail('registered no handler');
    return { state: 'active', extension: { manifest, dir: c.dir, origin: c.origin, handlers } };
  } catch (e) {
    return fail(`loading ${manifest.main} failed: ${(e as Error).message}`);
  }
}

/**
 * Loads every candidate. Names must be unique across roots: a second folder with a taken name is
 * invalid. Active extensions come back in dispatch order: priority (high first), then name.
 */
export async function loadAll(candidates: Candidate[], generation: number): Promise<LoadResult[]> {
  const results: LoadResult[] = [];
  const seen = new Set<string>();
  for (const c of candidates) {
    const r = await loadExtension(c, generation);
    const name =
      r.state === 'invalid' ? r.name : r.state === 'active' ? r.extension.manifest.name : r.manifest.name;
    if (seen.has(name)) {
      results.push({
        state: 'invalid',
        name: `${name}@${c.dir}`,
        dir: c.dir,
        origin: c.origin,
        error: `another extension is named ${name}`,
      });
      continue;
    }
    seen.add(name);
    results.push(r);
  }
  return results;
}

export const dispatchOrder = (a: LoadedExtension, b: LoadedExtension): number =>
  b.manifest.priority - a.manifest.priority || a.manifest.name.localeCompare(b.manifest.name);
