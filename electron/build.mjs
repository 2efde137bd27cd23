// Builds the Electron app into dist/: the renderer (dist/renderer), the main process and the
// engine worker as ES modules (dist/electron/main.js, engineWorker.js), and the preload as
// one CommonJS file (a sandboxed preload can require nothing but electron).
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = fileURLToPath(new URL('../dist/electron', import.meta.url));

await build({ configFile: fileURLToPath(new URL('../renderer/vite.config.ts', import.meta.url)), logLevel: 'warn' });

await build({
  root,
  configFile: false,
  logLevel: 'warn',
  build: {
    ssr: true,
    outDir,
    emptyOutDir: true,
    target: 'node20',
    rollupOptions: {
      input: { main: 'electron/main/main.ts', engineWorker: 'engine/worker/engineWorker.ts' },
      output: { format: 'es', entryFileNames: '[name].js' },
    },
  },
  ssr: { external: ['electron', 'onnxruntime-node'] },
});

await build({
  root,
  configFile: false,
  logLevel: 'warn',
  build: {
    ssr: true,
    outDir,
    emptyOutDir: false,
    target: 'node20',
    rollupOptions: {
      input: { preload: 'electron/preload/preload.ts' },
      output: { format: 'cjs', entryFileNames: '[name].cjs' },
    },
  },
  ssr: { noExternal: true, external: ['electron'] },
});
console.log(`[electron] built into ${outDir}`);
