// npm run build [-- OUTDIR]: the dashboard into OUTDIR (default: dist/, the CMake target passes
// ${CMAKE_BINARY_DIR}/web):
//   src/api-types.ts       TypeScript types generated from the API spec (openapi-typescript)
//   OUTDIR/index.html, assets/   the front-end (type-checked, then bundled by vite)
//   OUTDIR/api/docs/index.html   the API reference page, rendered from the spec
//   OUTDIR/openapi.yaml          the spec itself
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderApiDocs } from './api-docs.mjs';
import { generateTypes } from './gen-types.mjs';

const web = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = resolve(process.argv[2] || process.env.OMX_WEB_OUT || join(web, 'dist'));
const spec = resolve(process.env.OMX_API_SPEC || join(web, '..', 'docs', 'api', 'openapi.yaml'));

await generateTypes(spec, join(web, 'src', 'api-types.ts'));

const tsc = spawnSync(process.execPath, [join(web, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', web],
  { stdio: 'inherit' });
if (tsc.status !== 0) {
  console.error('web: type check failed');
  process.exit(1);
}

const { build } = await import('vite');
await build({ root: web, logLevel: 'warn', build: { outDir: out, emptyOutDir: true } });

mkdirSync(join(out, 'api', 'docs'), { recursive: true });
writeFileSync(join(out, 'api', 'docs', 'index.html'), renderApiDocs(readFileSync(spec, 'utf8')));
copyFileSync(spec, join(out, 'openapi.yaml'));
console.log(`web: dashboard in ${out}`);
