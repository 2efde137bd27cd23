// The byte <-> character table of byte-level BPE (GPT-2's): every byte has a printable
// stand-in character, so vocabulary entries are strings; decoding maps them back to bytes.

function byteToCharTable(): string[] {
  const table: string[] = new Array<string>(256);
  const printable = (b: number): boolean => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  let next = 256;
  for (let b = 0; b < 256; b++) {
    table[b] = String.fromCodePoint(printable(b) ? b : next++);
  }
  return table;
}

const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(byteToCharTable().map((ch, b) => [ch, b]));

/** The bytes a byte-level vocabulary entry stands for, or null if it is not one (an added token). */
export function byteLevelBytes(symbol: string): Uint8Array | null {
  const bytes = new Uint8Array(symbol.length);
  let n = 0;
  for (const ch of symbol) {
    const b = CHAR_TO_BYTE.get(ch);
    if (b === undefined) return null;
    bytes[n++] = b;
  }
  return bytes.subarray(0, n);
}
