import { defineConfig } from 'vite';

// Relative asset URLs: omxd serves the build output as its web root. No CDN: everything bundled.
export default defineConfig({
  base: './',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: { target: 'es2020', sourcemap: false, assetsDir: 'assets', chunkSizeWarningLimit: 400 },
  // `npm run dev` against a server (or the mock: `npm run mock`) on 127.0.0.1:8750
  server: { proxy: { '/api': 'http://127.0.0.1:8750' } },
});
