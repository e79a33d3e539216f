import semver from 'semver';
import { z } from 'zod';
import { CORE_API_VERSION, KNOWN_CAPABILITIES } from '@codex-manager/core';

/** An event a handler subscribes to: an exact type, or a prefix ending in `*` (`runtime.item.*`). */
const eventPattern = z
  .string()
  .regex(/^[a-z][a-zA-Z0-9_.]*(\.\*)?$|^\*$/, 'an event type, a prefix ending in .*, or *');

/** `extension.json`: what an extension is, which core API it needs, what it listens to and may do. */
export const manifestSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a lowercase slug (letters, digits, dashes)'),
    version: z.string().refine((v) => semver.valid(v) !== null, 'a semantic version, e.g. 1.0.0'),
    description: z.string().max(500).optional(),
    /** The core API versions it works with, a semver range (`^1.0.0`). */
    coreApi: z.string().refine((v) => semver.validRange(v) !== null, 'a semver range, e.g. ^1.0.0'),
    /** The ES module exporting the handlers, relative to the folder. */
    main: z
      .string()
      .regex(/^[\w./-]+\.m?js$/, 'a .mjs or .js file inside the extension folder')
      .refine((p) => !p.split('/').includes('..'), 'must stay inside the extension folder')
      .default('index.mjs'),
    events: z.array(eventPattern).min(1),
    capabilities: z.array(z.enum(KNOWN_CAPABILITIES as [string, ...string[]])).default([]),
    /** Higher runs first for the same event; ties go by name, then registration order. */
    priority: z.number().int().min(-1000).max(1000).default(0),
    /** Per-handler timeout for this extension (default CM_EXTENSION_TIMEOUT_MS). */
    timeoutMs: z.number().int().min(10).max(600_000).optional(),
  })
  .strict();

export type Manifest = z.output<typeof manifestSchema>;

export const isCompatible = (m: Pick<Manifest, 'coreApi'>): boolean =>
  semver.satisfies(CORE_API_VERSION, m.coreApi);

export const matchesEvent = (pattern: string, type: string): boolean =>
  pattern === '*' || (pattern.endsWith('.*') ? type.startsWith(pattern.slice(0, -1)) : pattern === type);
