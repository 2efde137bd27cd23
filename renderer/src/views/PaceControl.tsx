// Pace: how fast runs appear on screen (engine figures are unaffected).
import { PACE_RATES, usePaceStore, type Pace } from '../stores/paceStore';

function encode(pace: Pace): string {
  return pace.kind === 'rate' ? `rate:${pace.stepsPerSecond}` : pace.kind;
}

function decode(value: string): Pace {
  if (value.startsWith('rate:')) return { kind: 'rate', stepsPerSecond: Number(value.slice(5)) };
  return value === 'manual' ? { kind: 'manual' } : { kind: 'realtime' };
}

export function PaceControl() {
  const pace = usePaceStore((state) => state.pace);
  const setPace = usePaceStore((state) => state.setPace);
  return (
    <label className="pace" title="How fast steps appear on screen; the figures shown stay the engine's real ones">
      <span>Pace</span>
      <select value={encode(pace)} onChange={(e) => setPace(decode(e.target.value))} data-testid="pace">
        <option value="realtime">real time</option>
        {PACE_RATES.map((rate) => (
          <option key={rate} value={`rate:${rate}`}>
            {rate} step{rate === 1 ? '' : 's'}/s
          </option>
        ))}
        <option value="manual">one step per key</option>
      </select>
    </label>
  );
}
