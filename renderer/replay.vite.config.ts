// Builds the one-file replay page (renderer/replay.html) into dist/renderer/replay.html: one
// JavaScript chunk and one stylesheet, written into the HTML itself, so the app's HTML export
// is that file with the traces embedded and opens in any browser with no server and no network.
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

/** Inside an inline script, `</script` would end it; `<\/script` means the same to JavaScript. */
const inlineScript = (code: string): string => code.replace(/<\/script/gi, '<\\/script');

/** Moves the page's built chunk and stylesheet into the HTML, and drops the files. */
function inlineIntoHtml(): Plugin {
  return {
    name: 'hamburger-inline-into-html',
    enforce: 'post',
    generateBundle(_options, bundle) {
      for (const html of Object.values(bundle)) {
        if (html.type !== 'asset' || !html.fileName.endsWith('.html')) continue;
        let text = String(html.source);
        for (const [name, file] of Object.entries(bundle)) {
          if (file.type === 'chunk') {
            const tag = new RegExp(`<script type="module" crossorigin src="\\./${file.fileName.replace(/[.]/g, '\\.')}"></script>`);
            if (!tag.test(text)) throw new Error(`replay page: no script tag for ${file.fileName} to inline`);
            text = text.replace(tag, () => `<script type="module">${inlineScript(file.code)}</script>`);
            delete bundle[name];
          } else if (file.fileName.endsWith('.css')) {
            const tag = new RegExp(`<link rel="stylesheet" crossorigin href="\\./${file.fileName.replace(/[.]/g, '\\.')}">`);
            if (!tag.test(text)) throw new Error(`replay page: no stylesheet link for ${file.fileName} to inline`);
            text = text.replace(tag, () => `<style>${String(file.source)}</style>`);
            delete bundle[name];
          }
        }
        html.source = text;
      }
    },
  };
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  plugins: [react(), inlineIntoHtml()],
  build: {
    // Next to the app's files (the app fetches it from there to export), after the app's build.
    outDir: fileURLToPath(new URL('../dist/renderer', import.meta.url)),
    emptyOutDir: false,
    modulePreload: false,
    cssCodeSplit: false,
    assetsInlineLimit: () => true,
    chunkSizeWarningLimit: 2000,
    rollupOptions: {
      input: fileURLToPath(new URL('./replay.html', import.meta.url)),
      output: { codeSplitting: false },
    },
  },
});
