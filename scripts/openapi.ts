// `npm run openapi`: writes openapi.json from the routes table and the handlers' zod schemas, and
// the client's types from it. A test fails when either committed file is stale.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderOpenApi } from './openapi/render';

const root = join(__dirname, '..');
for (const file of renderOpenApi(root)) {
  writeFileSync(join(root, file.path), file.text);
  console.log(`wrote ${file.path}`);
}
