// The front-end's API types, generated from the spec (never edited by hand).
// As a script: node scripts/gen-types.mjs [SPEC] [OUT]
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export async function generateTypes(spec, out) {
  const { default: openapiTS, astToString } = await import('openapi-typescript');
  const ast = await openapiTS(readFileSync(spec, 'utf8'));
  const text = '// GENERATED from docs/api/openapi.yaml by web/scripts/gen-types.mjs (openapi-typescript).\n' +
    '// Do not edit: change the spec and rebuild.\n' + astToString(ast);
  let old = '';
  try { old = readFileSync(out, 'utf8'); } catch { /* first build */ }
  if (old !== text) writeFileSync(out, text);  // unchanged: keep the mtime (no needless rebuilds)
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const web = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  await generateTypes(resolve(process.argv[2] || join(web, '..', 'docs', 'api', 'openapi.yaml')),
    resolve(process.argv[3] || join(web, 'src', 'api-types.ts')));
}
