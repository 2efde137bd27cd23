// Builds the renderer (the same bundle for Electron and the browser mode) into dist/renderer,
// then the one-file replay page beside it (replay.vite.config.ts), which the app's HTML export fills.
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { build, defineConfig, type Plugin } from 'vite';

function replayPage(): Plugin {
  return {
    name: 'hamburger-replay-page',
    apply: 'build',
    async closeBundle() {
      await build({ configFile: fileURLToPath(new URL('./replay.vite.config.ts', import.meta.url)), logLevel: 'warn' });
    },
  };
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  // Relative asset URLs: Electron loads the page from app://hamburger/, the browser mode from http://.
  base: './',
  plugins: [react(), replayPage()],
  build: {
    outDir: fileURLToPath(new URL('../dist/renderer', import.meta.url)),
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
  },
});
