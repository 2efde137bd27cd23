// Which model package every lane runs: the one shipped with the app, or a folder (typed as a
// path in the browser mode, or picked with the system dialog in Electron), and the context
// (positions) to load it with: empty = the package's own, as far as memory allows.
import { useState } from 'react';
import { cancelLoad, describeError, hasFolderDialog, loadModel, pickModelFolder } from '../controller';
import { useModelStore } from '../stores/modelStore';

export function ModelPicker() {
  const model = useModelStore((state) => state.model);
  const loading = useModelStore((state) => state.loading);
  const loadError = useModelStore((state) => state.loadError);
  const progress = useModelStore((state) => state.progress);
  const [folder, setFolder] = useState('');
  const [context, setContext] = useState('');
  const dialog = hasFolderDialog();
  // Not a number: sent as NaN, so the host names the field and what it allows.
  const contextAsked = (): number | undefined => (context.trim() === '' ? undefined : Number(context));

  const browse = async () => {
    const chosen = await pickModelFolder();
    if (chosen !== null) {
      setFolder(chosen);
      await loadModel(chosen, contextAsked());
    }
  };

  return (
    <fieldset className="model-picker">
      <legend>Model</legend>
      <div className="model-name" data-testid="model-name" title={model?.directory}>
        {model === null ? (loading ? 'loading…' : 'none loaded') : `${model.name} — ${model.description}`}
      </div>
      {model !== null && (
        <div className="muted small" data-testid="model-context">
          context {model.limits.context.toLocaleString('en')} of {model.architecture.maxPosition.toLocaleString('en')} positions
        </div>
      )}
      <div className="row">
        <input
          type="text"
          placeholder="model folder path"
          value={folder}
          onChange={(e) => setFolder(e.target.value)}
          aria-label="Model folder path"
          data-testid="model-folder"
        />
        {dialog && (
          <button type="button" onClick={() => void browse()}>
            Browse…
          </button>
        )}
      </div>
      <label className="row">
        Context
        <input
          type="number"
          min={2}
          placeholder="package default"
          value={context}
          onChange={(e) => setContext(e.target.value)}
          aria-label="Context in positions"
          data-testid="model-context-input"
        />
      </label>
      <div className="row">
        <button type="button" disabled={loading || folder.trim() === ''} onClick={() => void loadModel(folder.trim(), contextAsked())} data-testid="load-folder">
          Load folder
        </button>
        <button type="button" disabled={loading} onClick={() => void loadModel(null, contextAsked())} data-testid="load-shipped">
          Shipped model
        </button>
      </div>
      {loading && (
        <div className="load-progress" data-testid="load-progress">
          <div className="context-track" role="progressbar" aria-label="Model load" aria-valuemin={0} aria-valuemax={progress?.bytesTotal ?? 1} aria-valuenow={progress?.bytesDone ?? 0}>
            <div className="context-fill" style={{ width: `${progress === null || progress.bytesTotal === 0 ? 0 : (100 * progress.bytesDone) / progress.bytesTotal}%` }} />
          </div>
          <span className="muted small">
            {progress === null
              ? 'reading the package…'
              : progress.file === null
                ? 'warming up…'
                : `${progress.file} (${progress.graphsDone + 1} of ${progress.graphsTotal}, ${(progress.bytesDone / 1e6).toFixed(0)} of ${(progress.bytesTotal / 1e6).toFixed(0)} MB)`}
          </span>
          <button type="button" onClick={() => void cancelLoad()} data-testid="cancel-load">
            Cancel
          </button>
        </div>
      )}
      {loadError !== null && (
        <p className="field-error" role="alert" data-testid="model-error">
          {describeError(loadError)}
        </p>
      )}
    </fieldset>
  );
}
