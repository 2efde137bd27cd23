// The legend of a chart that compares lanes: each lane's label in its series colour.
import type { LaneSeries } from '../hooks/useLaneSeries';

export function LaneKeys({ series }: { series: readonly LaneSeries<unknown>[] }) {
  return series.map((s, i) => (
    <span key={s.label} className={`key series-${i}`}>
      {s.label}
    </span>
  ));
}
