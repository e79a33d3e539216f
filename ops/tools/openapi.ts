import fs from 'node:fs';
import path from 'node:path';
import { API_VERSION, apiRoutes, type AppDeps } from '../../services/gateway/src/app';
import { openApiDocument } from '../../services/gateway/src/http/openapi';

/**
 * `npm run openapi` writes docs/openapi.json from the route specs; `--check` fails when the committed
 * document differs (the CLI's route-parity test and the SDK read the committed document).
 */
export const OPENAPI_FILE = path.resolve(__dirname, '../../docs/openapi.json');

export function generatedOpenApi(): string {
  // Route specs need their dependencies only when a handler runs; none runs here.
  const doc = openApiDocument(apiRoutes({} as AppDeps), API_VERSION);
  return JSON.stringify(doc, null, 2) + '\n';
}

if (require.main === module) {
  const text = generatedOpenApi();
  if (process.argv.includes('--check')) {
    const current = fs.existsSync(OPENAPI_FILE) ? fs.readFileSync(OPENAPI_FILE, 'utf8') : '';
    if (current !== text) {
      console.error('docs/openapi.json is out of date: run `npm run openapi`');
      process.exit(1);
    }
  } else {
    fs.writeFileSync(OPENAPI_FILE, text);
    console.log(`wrote ${path.relative(process.cwd(), OPENAPI_FILE)}`);
  }
}
