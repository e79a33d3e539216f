import {
  ACTION_CAPABILITIES,
  Actions,
  AppError,
  ErrorCode,
  type ActionDeps,
  type ActionName,
  type Logger,
} from '@codex-manager/core';
import type { ActiveExtension, Dispatcher } from './dispatcher';
import type { Inventory } from './inventory';
import {
  dispatchOrder,
  discover,
  loadAll,
  type Candidate,
  type LoadResult,
  type LoadedExtension,
} from './loader';
import { ExtensionStats } from './stats';

export type TrustMode = 'disabled' | 'warn' | 'enforced';

export interface HostOptions {
  roots: Candidate[];
  dispatcher: Dispatcher;
  inventory: Inventory;
  actionDeps: ActionDeps;
  trust: TrustMode;
  timeoutMs: number;
  log: Logger;
}

export interface LoadSummary {
  generation: number;
  active: { name: string; version: string; origin: string }[];
  incompatible: { name: string; error: string }[];
  invalid: { name: string; path: string; error: string }[];
}

/**
 * Owns the set of extensions: discovers and loads them, binds each to an action API that acts as
 * `extension:<name>` and checks capabilities by trust mode, and hands the set to the dispatcher.
 * At start, a broken extension is recorded and the others run. A reload is all or nothing: if any
 * extension fails to load, the previous set stays in force, untouched.
 */
export class ExtensionHost {
  #generation = 0;
  #stats = new Map<string, ExtensionStats>();

  constructor(private readonly o: HostOptions) {}

  async start(): Promise<LoadSummary> {
    const results = await loadAll(discover(this.o.roots), ++this.#generation);
    await this.#activate(results);
    return this.#summary(results);
  }

  async reload(): Promise<{ ok: boolean; summary: LoadSummary }> {
    const results = await loadAll(discover(this.o.roots), ++this.#generation);
    const summary = this.#summary(results);
    if (summary.invalid.length > 0) return { ok: false, summary };
    await this.#activate(results);
    return { ok: true, summary };
  }

  async #activate(results: LoadResult[]): Promise<void> {
    const active = results
      .flatMap((r) => (r.state === 'active' ? [r.extension] : []))
      .sort(dispatchOrder)
      .map((e) => this.#bind(e));
    await this.o.dispatcher.activate(active);
    await this.o.inventory.replace(results.map((result) => ({ result, stats: this.#statsOf(result) })));
  }

  #statsOf(r: LoadResult): ExtensionStats {
    const name =
      r.state === 'active'
        ? r.extension.manifest.name
        : r.state === 'incompatible'
          ? r.manifest.name
          : r.name;
    let s = this.#stats.get(name);
    if (!s) this.#stats.set(name, (s = new ExtensionStats()));
    return s;
  }

  #bind(e: LoadedExtension): ActiveExtension {
    const stats = this.#statsOf({ state: 'active', extension: e });
    const name = e.manifest.name;
    const guard = (action: ActionName): void => {
      const capability = ACTION_CAPABILITIES[action];
      if (this.o.trust === 'disabled' || e.manifest.capabilities.includes(capability)) return;
      const message = `extension ${name} called ${action} without declaring the capability ${capability}`;
      if (this.o.trust === 'warn') {
        this.o.log.warn({ extension: name, capability }, message);
        stats.error({
          kind: 'warning',
          handler: null,
          eventSeq: null,
          eventType: null,
          code: 'undeclared_capability',
          message,
        });
        return;
      }
      throw new AppError(ErrorCode.forbidden, message, { details: { extension: name, capability } });
    };
    return {
      ...e,
      stats,
      timeoutMs: e.manifest.timeoutMs ?? this.o.timeoutMs,
      actions: new Actions(this.o.actionDeps, {
        actor: `extension:${name}`,
        source: 'extension-host',
        guard,
      }),
    };
  }

  #summary(results: LoadResult[]): LoadSummary {
    const s: LoadSummary = { generation: this.#generation, active: [], incompatible: [], invalid: [] };
    for (const r of results) {
      if (r.state === 'active') {
        const m = r.extension.manifest;
        s.active.push({ name: m.name, version: m.version, origin: r.extension.origin });
      } else if (r.state === 'incompatible') s.incompatible.push({ name: r.manifest.name, error: r.error });
      else s.invalid.push({ name: r.name, path: r.dir, error: r.error });
    }
    return s;
  }
}
