// Text and attribute values written into SVG markup (the paper exports build their SVG as text).
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Numbers in markup: at most two decimals, no trailing zeros. */
export function svgNumber(value: number): string {
  return String(Math.round(value * 100) / 100);
}
