import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildOpenApiDocument } from '../../lib/api/openapi';
import { routes } from '../../lib/api/routes';
import { renderTypes } from './types';

export interface RenderedFile {
  /** Relative to the repository root. */
  readonly path: string;
  readonly text: string;
}

/** openapi.json and the client's generated types, as `npm run openapi` writes them. */
export function renderOpenApi(root: string): RenderedFile[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
    description: string;
  };
  const document = buildOpenApiDocument(routes, {
    title: pkg.name,
    version: pkg.version,
    description: `${pkg.description} Errors are RFC 9457 problem+json; every request is signed with SigV4 (service execute-api).`,
  });
  return [
    { path: 'openapi.json', text: `${JSON.stringify(document, null, 2)}\n` },
    { path: 'client/src/api-types.ts', text: renderTypes(document) },
  ];
}
