// Builds the Electron app into dist/: the renderer (dist/renderer), the main process and the
// engine worker as ES modules (dist/electron/main.js, engineWorker.js), and the preload as
// one CommonJS file (a sandboxed preload can require nothing but electron).
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = fileURLToPath(new URL('../dist/electron', import.meta.url));

await build({ configFile: fileURLToPath(new URL('../renderer/vite.config.ts', import.meta.url)), logLevel: 'warn' });

/** A Vite SSR build of Node-side entry points into dist/electron. */
function buildNodeBundle({ input, format, extension, emptyOutDir, ssr }) {
  return build({
    root,
    configFile: false,
    logLevel: 'warn',
    build: {
      ssr: true,
      outDir,
      emptyOutDir,
      target: 'node20',
      rollupOptions: { input, output: { format, entryFileNames: `[name].${extension}` } },
    },
    ssr,
  });
}

await buildNodeBundle({
  input: { main: 'electron/main/main.ts', engineWorker: 'engine/worker/engineWorker.ts' },
  format: 'es',
  extension: 'js',
  emptyOutDir: true,
  ssr: { external: ['electron', 'onnxruntime-node'] },
});
// Into the same folder, after the main process: not emptied again.
await buildNodeBundle({
  input: { preload: 'electron/preload/preload.ts' },
  format: 'cjs',
  extension: 'cjs',
  emptyOutDir: false,
  ssr: { noExternal: true, external: ['electron'] },
});
console.log(`[electron] built into ${outDir}`);
