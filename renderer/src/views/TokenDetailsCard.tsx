// Hover details of one token: probability, entropy, the five most likely tokens, the stop
// head's probability and what the stop rule made of it.
import type { LaneId } from '../../../engine/api';
import { useRun } from '../hooks/useRun';
import { STOP_MARKS } from '../model/stopReason';
import { formatProb, visibleToken } from '../model/tokenText';
import { useViewStore } from '../stores/viewStore';

export function TokenDetailsCard({ lane }: { lane: LaneId }) {
  const hovered = useViewStore((state) => state.hovered);
  // Only the hovered token: the card does not re-render on every event of a run.
  const micro = useRun(lane, (record) =>
    hovered === null
      ? undefined
      : (record.steps[hovered.step]?.micro[hovered.micro] ?? record.openMicros.find((m) => m.step === hovered.step && m.index === hovered.micro)),
  );
  if (hovered === null || micro === undefined) return null;
  const left = Math.min(hovered.x, window.innerWidth - 300);
  const top = hovered.y + 6 > window.innerHeight - 230 ? hovered.y - 236 : hovered.y + 6;
  return (
    <div className="token-card" style={{ left, top }} role="tooltip" data-testid="token-card">
      <div className="token-card-title">
        <code>{visibleToken(micro.text)}</code> · step {micro.step}, micro step {micro.index}
      </div>
      <div className="token-card-grid">
        <span>probability</span>
        <b>{formatProb(micro.prob)}</b>
        <span>entropy</span>
        <b>{micro.entropy.toFixed(3)} nats</b>
        <span>stop probability</span>
        <b>{micro.stopProb === null ? '— (no stop head)' : formatProb(micro.stopProb)}</b>
        <span>step ended here</span>
        <b>{micro.stopReason === null ? 'no' : STOP_MARKS[micro.stopReason].label}</b>
      </div>
      <table className="top-k">
        <tbody>
          {micro.top.map((alt) => (
            <tr key={alt.tokenId} className={alt.tokenId === micro.tokenId ? 'chosen' : undefined}>
              <td>
                <code>{visibleToken(alt.text)}</code>
              </td>
              <td className="bar-cell">
                <span className="bar" style={{ width: `${Math.max(1, alt.prob * 100)}%` }} />
              </td>
              <td>{formatProb(alt.prob)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
