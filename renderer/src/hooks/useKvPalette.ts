// The KV strip's colours, read from the theme's CSS variables and read again whenever the
// theme or presentation mode changes (both are attributes of <html>).
import { useEffect, useState } from 'react';
import type { KvPalette } from '../canvas/drawKvStrip';

/** Numbers on the lighter group fills (the CSS used it for the cells' text). */
const DARK_TEXT = '#1b1406';

function readKvPalette(): KvPalette {
  const style = getComputedStyle(document.documentElement);
  const value = (name: string) => style.getPropertyValue(name).trim();
  return {
    prompt: value('--prompt-cell'),
    groups: [value('--group-1'), value('--group-2'), value('--group-3'), value('--group-4')],
    accent: value('--accent'),
    rejected: value('--rejected'),
    verifier: value('--verifier'),
    text: value('--text'),
    darkText: DARK_TEXT,
    font: value('--mono'),
  };
}

export function useKvPalette(): KvPalette {
  const [palette, setPalette] = useState(readKvPalette);
  useEffect(() => {
    const observer = new MutationObserver(() => setPalette(readKvPalette()));
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme', 'data-presentation'] });
    return () => observer.disconnect();
  }, []);
  return palette;
}
