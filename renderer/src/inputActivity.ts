// When the user last pressed a key or a pointer button, for the views that give way to input
// (model/inputFirst.ts).
let lastInputMs = Number.NEGATIVE_INFINITY;

export function watchInput(target: Pick<Window, 'addEventListener'>): void {
  const note = (): void => {
    lastInputMs = performance.now();
  };
  for (const type of ['keydown', 'pointerdown'] as const) target.addEventListener(type, note, { capture: true, passive: true });
}

export function lastInputAt(): number {
  return lastInputMs;
}
