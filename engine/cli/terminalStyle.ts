// Colours for the human output of `generate`: each token coloured by its probability,
// macro steps on alternating backgrounds so the groups stand out (plain mode: "|" between).

export interface TerminalStyle {
  token(text: string, prob: number, stepIndex: number, special: boolean): string;
  stepSeparator(): string;
  dim(text: string): string;
  bold(text: string): string;
}

const RESET = '\x1b[0m';

function probabilityColour(prob: number): number {
  if (prob >= 0.9) return 46; // green
  if (prob >= 0.7) return 154;
  if (prob >= 0.5) return 226; // yellow
  if (prob >= 0.3) return 214;
  return 196; // red
}

/** Newlines and tabs stay visible inside a coloured group. */
function visible(text: string): string {
  return text.replace(/\n/g, '⏎\n').replace(/\t/g, '→\t');
}

export const colourStyle: TerminalStyle = {
  token(text, prob, stepIndex, special) {
    const background = stepIndex % 2 === 0 ? 236 : 239;
    const body = special ? `\x1b[2m${text}` : `\x1b[38;5;${probabilityColour(prob)}m${visible(text)}`;
    return `\x1b[48;5;${background}m${body}${RESET}`;
  },
  stepSeparator: () => '',
  dim: (text) => `\x1b[2m${text}${RESET}`,
  bold: (text) => `\x1b[1m${text}${RESET}`,
};

export const plainStyle: TerminalStyle = {
  token: (text) => text,
  stepSeparator: () => '|',
  dim: (text) => text,
  bold: (text) => text,
};

export function styleFor(stream: NodeJS.WriteStream): TerminalStyle {
  return stream.isTTY && process.env['NO_COLOR'] === undefined ? colourStyle : plainStyle;
}

export function probabilityLegend(style: TerminalStyle): string {
  if (style === plainStyle) return 'macro steps separated by |';
  const swatch = (label: string, prob: number): string => `\x1b[38;5;${probabilityColour(prob)}m${label}${RESET}`;
  return `token probability: ${swatch('>=0.9', 0.95)} ${swatch('>=0.7', 0.8)} ${swatch('>=0.5', 0.6)} ${swatch('>=0.3', 0.4)} ${swatch('<0.3', 0.1)}; macro steps on alternating backgrounds`;
}
