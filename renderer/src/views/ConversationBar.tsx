// A conversation in the playground: after a run answers, the next user turn is sent with the
// earlier turns, whose answers stay in the cache as their smashed entries (or, to compare,
// re-prefilled unmerged). The turns so far read as the context holds them.
import { useState, type FormEvent } from 'react';
import { sendNextTurn } from '../controller';
import { useRun } from '../hooks/useRun';
import { turnTexts } from '../model/runHistory';
import { visibleToken } from '../model/tokenText';

export function ConversationBar() {
  // A conversation continues a finished chat run: a run in progress does not re-render this.
  const record = useRun('playground', (run) => (run.phase === 'finished' && run.started.settings.chatTemplate ? run : undefined));
  const [message, setMessage] = useState('');
  const [unmerged, setUnmerged] = useState(false);
  if (record === undefined) return null;
  const history = record.started.history;
  const earlier = turnTexts(record);
  const turn = (history?.turns.length ?? 0) + 1;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (message.trim() === '') return;
    void sendNextTurn(message, unmerged ? 'unmerged' : 'smashed');
    setMessage('');
  };
  return (
    <div className="conversation" data-testid="conversation" data-turn={turn}>
      {earlier.length > 0 && (
        <details className="conversation-turns">
          <summary>
            Turn {turn} of a conversation · earlier answers {history?.turnCache === 'unmerged' ? 're-prefilled unmerged' : 'kept smashed'} in the cache
          </summary>
          {earlier.map((text, k) => (
            <p key={k} className="turn-text" data-testid="turn-text">
              <b>turn {k + 1}</b> {visibleToken(text)}
            </p>
          ))}
        </details>
      )}
      <form className="next-turn" onSubmit={submit}>
        <input value={message} onChange={(e) => setMessage(e.target.value)} placeholder={`Turn ${turn + 1}: reply to continue the conversation`} aria-label="Next turn" data-testid="next-turn-input" />
        <label title="Re-prefill the whole conversation one entry per token instead of keeping the answers' smashed entries">
          <input type="checkbox" checked={unmerged} onChange={(e) => setUnmerged(e.target.checked)} data-testid="turn-unmerged" /> history unmerged
        </label>
        <button type="submit" disabled={message.trim() === ''} data-testid="send-turn">
          Send turn {turn + 1}
        </button>
      </form>
    </div>
  );
}
