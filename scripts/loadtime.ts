// Load time of the default model package, three loads in one process (each includes the
// warm-up run the engine does at load). Usage: npx tsx scripts/loadtime.ts
import { DEFAULT_MODEL_DIR } from '../engine/defaultModel.js';
import { HamburgerEngine } from '../engine/engine.js';

const loadMs: number[] = [];
for (let i = 0; i < 3; i++) {
  const t0 = performance.now();
  const engine = await HamburgerEngine.load(DEFAULT_MODEL_DIR, {});
  loadMs.push(Math.round(performance.now() - t0));
  await engine.dispose();
}
console.log(JSON.stringify({ model: DEFAULT_MODEL_DIR, load_ms: loadMs }));
