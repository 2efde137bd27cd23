// Hover details of one token: probability, entropy, the five most likely tokens, the stop
// head's probability and what the stop rule made of it; in checked runs, the baseline's view.
import type { LaneId } from '../../../host/protocol';
import { useRun } from '../hooks/useRun';
import { STOP_MARKS } from '../model/stopReason';
import { tokenChecks, type TokenCheck } from '../model/tokenChecks';
import { formatProb, visibleToken } from '../model/tokenText';
import { useViewStore } from '../stores/viewStore';

/** Rough heights of the card, to open it above the token near the bottom of the window. */
const CARD_HEIGHT = 230;
const VERDICT_HEIGHT = 70;

const CHECK_VERDICTS: Record<Exclude<TokenCheck['kind'], 'verifier'>, string> = {
  accepted: 'kept: the baseline would have written it too',
  rejected: 'rejected: not the baseline\'s choice',
  discarded: 'dropped: the baseline agrees, but a token before it in this step was rejected',
};

function BaselineVerdict({ check }: { check: TokenCheck }) {
  if (check.kind === 'verifier') {
    return (
      <div className="card-verdict" data-testid="card-verdict" data-check="verifier">
        <b className="verdict-yes">The baseline's own token</b>{' '}
        {check.outcome === 'bonus' ? '(every draft of the step was kept)' : `in place of the rejected draft ${JSON.stringify(check.replaced?.text ?? '')}`}; the
        probabilities above are the baseline's.
      </div>
    );
  }
  const v = check.verdict;
  return (
    <div className="card-verdict token-card-grid" data-testid="card-verdict" data-check={check.kind}>
      <span>baseline</span>
      <b className={check.kind === 'accepted' ? 'verdict-yes' : 'verdict-no'}>{CHECK_VERDICTS[check.kind]}</b>
      <span>baseline's p of it</span>
      <b>{formatProb(v.baselineProb)}</b>
      <span>baseline's choice</span>
      <b>
        <code>{visibleToken(v.baselineTopText)}</code> {formatProb(v.baselineTopProb)}
      </b>
    </div>
  );
}

export function TokenDetailsCard({ lane }: { lane: LaneId }) {
  const hovered = useViewStore((state) => state.hovered);
  // Only the hovered token: the card does not re-render on every event of a run.
  const micro = useRun(lane, (record) =>
    hovered === null
      ? undefined
      : (record.steps[hovered.step]?.micro[hovered.micro] ?? record.openMicros.find((m) => m.step === hovered.step && m.index === hovered.micro)),
  );
  const step = useRun(lane, (record) => (hovered === null ? undefined : record.steps[hovered.step]));
  const check = step === undefined || hovered === null ? null : (tokenChecks(step)[hovered.micro] ?? null);
  if (hovered === null || micro === undefined) return null;
  const left = Math.min(hovered.x, window.innerWidth - 300);
  const height = check === null ? CARD_HEIGHT : CARD_HEIGHT + VERDICT_HEIGHT;
  const top = hovered.y + 6 > window.innerHeight - height ? hovered.y - height - 6 : hovered.y + 6;
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
      {check !== null && <BaselineVerdict check={check} />}
    </div>
  );
}
