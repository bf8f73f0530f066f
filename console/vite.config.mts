import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The security console builds to static files under console/dist: one HTML page, one script, one style sheet, all
 * loaded from the console's own origin, so the Content-Security-Policy needs no 'unsafe-inline' or 'unsafe-eval'.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    cssCodeSplit: false,
    // The preload polyfill is an inline-capable helper; every supported browser preloads modules natively.
    modulePreload: { polyfill: false },
    // No data: URIs in scripts or styles: every asset is a file of its own.
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
});
