// How a token's text is shown: whitespace made visible, so spaces and newlines inside a
// group can be seen and counted.
export function visibleToken(text: string): string {
  if (text === '') return '∅';
  return text.replace(/\n/g, '↵').replace(/\t/g, '⇥').replace(/^ | $/g, '·');
}

export function formatProb(prob: number): string {
  return prob >= 0.9995 ? '1.000' : prob.toFixed(3);
}
