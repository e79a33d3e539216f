import { chmodSync, copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Writes a private `CODEX_HOME/config.toml` that points codex at the scripted model. Keep `dir` out
 * of /tmp: codex refuses to create its helper binaries under a temporary directory.
 */
export function writeScriptedCodexHome(dir: string, modelBaseUrl: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'config.toml'), scriptedConfigToml(modelBaseUrl));
}

/**
 * - No `env_key` and `requires_openai_auth = false`: codex sends no credentials and needs no login.
 * - Retries 0: a scripted failure surfaces at once as one `error` + failed turn (retries are silent
 *   and only add latency).
 * - `mock-model` is not in codex's catalog: every turn warns "Model metadata … not found" (harmless),
 *   and the tool list is the fallback one (`exec_command`, no `apply_patch` tool).
 * - `plugins = false` stops the curated-plugin sync, which otherwise tries github.com and chatgpt.com
 *   at every startup; analytics off keeps codex from reporting anywhere.
 */
export function scriptedConfigToml(modelBaseUrl: string): string {
  return `# Generated: codex talks to the local scripted model only.
model = "mock-model"
model_provider = "scripted"

[model_providers.scripted]
name = "Scripted model"
base_url = ${JSON.stringify(modelBaseUrl)}
wire_api = "responses"
requires_openai_auth = false
request_max_retries = 0
stream_max_retries = 0

[analytics]
enabled = false

[features]
plugins = false
`;
}

/**
 * Makes CODEX_HOME ready before app-server starts: in demo mode (`CM_DEMO_MODEL_URL`) it gets the
 * scripted model's config; with `CM_CODEX_AUTH_SOURCE` (compose mounts the operator's ~/.codex
 * read-only) an existing `auth.json` there is copied in, so the operator's login works without
 * giving the container write access to it. Returns what it did, for the log.
 */
export function prepareCodexHome(opts: {
  codexHome: string;
  demoModelUrl?: string;
  authSource?: string;
}): string[] {
  const done: string[] = [];
  mkdirSync(opts.codexHome, { recursive: true });
  if (opts.demoModelUrl) {
    writeScriptedCodexHome(opts.codexHome, opts.demoModelUrl);
    done.push(`config.toml points at the scripted model ${opts.demoModelUrl}`);
  }
  if (opts.authSource && existsSync(opts.authSource)) {
    copyFileSync(opts.authSource, path.join(opts.codexHome, 'auth.json'));
    chmodSync(path.join(opts.codexHome, 'auth.json'), 0o600);
    done.push(`copied credentials from ${opts.authSource}`);
  }
  return done;
}
