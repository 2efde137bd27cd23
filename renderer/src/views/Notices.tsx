// Messages for the user (errors stay until dismissed) and the banner while the engine is unreachable.
import { useModelStore } from '../stores/modelStore';
import { useNoticeStore } from '../stores/noticeStore';

export function Notices() {
  const notices = useNoticeStore((state) => state.notices);
  const dismiss = useNoticeStore((state) => state.dismiss);
  const connection = useModelStore((state) => state.connection);
  return (
    <div className="notices" aria-live="polite">
      {connection === 'lost' && (
        <div className="notice error banner" role="alert" data-testid="connection-lost">
          The connection to the engine was lost. Reconnecting… Your runs stay on screen and can be saved.
        </div>
      )}
      {notices.map((notice) => (
        <div key={notice.id} className={`notice ${notice.tone}`} role={notice.tone === 'error' ? 'alert' : 'status'} data-testid={`notice-${notice.tone}`}>
          <span>{notice.text}</span>
          <button type="button" className="link" onClick={() => dismiss(notice.id)} aria-label="Dismiss">
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
