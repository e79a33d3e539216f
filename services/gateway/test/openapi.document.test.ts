import fs from 'node:fs';
import { generatedOpenApi, OPENAPI_FILE } from '../../../ops/tools/openapi';
import { apiRoutes, type AppDeps } from '../src/app';

describe('the OpenAPI document', () => {
  it('is committed as generated from the route specs (run `npm run openapi` after changing a route)', () => {
    expect(fs.readFileSync(OPENAPI_FILE, 'utf8')).toBe(generatedOpenApi());
  });

  it('names every route with a unique `<group>.<action>` operationId', () => {
    const ids = apiRoutes({} as AppDeps).map((r) => r.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z][a-zA-Z]*\.[a-z][a-zA-Z]*$/);
  });
});
