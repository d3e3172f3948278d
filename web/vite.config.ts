import { defineConfig } from 'vite';

// The page is embedded in the reef binary (web/embed.go) and served at /.
// Output is deterministic so web/check-build.sh can diff it.
export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
  server: {
    proxy: { '/v1': 'http://127.0.0.1:7370' },
  },
});
