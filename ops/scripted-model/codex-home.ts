import { mkdirSync, writeFileSync } from 'node:fs';
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
