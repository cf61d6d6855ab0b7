import { defineConfig } from 'tsup';

// ESM (dist/index.js) and CommonJS (dist/index.cjs) with their own type declarations, for Node 20+.
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  target: 'node20',
  platform: 'node',
  clean: true,
  sourcemap: false,
  outDir: process.env.BRG_CLIENT_OUT_DIR ?? 'dist',
});
