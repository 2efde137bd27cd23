// Generation settings: confidence level, max new tokens, greedy or sampled. Values are sent
// as typed; the engine refuses bad ones and the message appears under the field it names.
import type { ReactNode } from 'react';
import type { PositionConvention } from '../../../engine/api';
import { describeError } from '../controller';
import { useFormErrorStore } from '../stores/formErrorStore';
import { useSettingsStore, type GenerationSettings } from '../stores/settingsStore';

function FieldError({ fields }: { fields: string[] }) {
  const error = useFormErrorStore((state) => state.error);
  if (error === null || error.field === undefined || !fields.some((f) => error.field === f || error.field!.startsWith(`${f}.`))) return null;
  return (
    <p className="field-error" role="alert" data-testid="field-error">
      {describeError(error)}
    </p>
  );
}

function NumberField({ label, name, step, field, children }: { label: string; name: keyof GenerationSettings; step: number; field: string; children?: ReactNode }) {
  const value = useSettingsStore((state) => state[name]);
  const update = useSettingsStore((state) => state.update);
  return (
    <label className="field">
      <span>{label}</span>
      <input
        type="number"
        step={step}
        value={typeof value === 'number' && Number.isFinite(value) ? value : ''}
        onChange={(e) => update({ [name]: e.target.value === '' ? Number.NaN : Number(e.target.value) })}
        data-testid={`setting-${field}`}
      />
      {children}
    </label>
  );
}

export function SettingsControls() {
  const confidence = useSettingsStore((state) => state.confidence);
  const sampled = useSettingsStore((state) => state.sampled);
  const chatTemplate = useSettingsStore((state) => state.chatTemplate);
  const audit = useSettingsStore((state) => state.audit);
  const positionConvention = useSettingsStore((state) => state.positionConvention);
  const update = useSettingsStore((state) => state.update);
  return (
    <fieldset className="settings">
      <legend>Settings</legend>
      <div className="field-grid">
        {confidence === null ? (
          <label className="field">
            <span>Confidence</span>
            <span className="muted small">off: stop when p &gt; 0.5</span>
          </label>
        ) : (
          <NumberField label="Confidence c" name="confidence" step={0.05} field="confidence" />
        )}
        <NumberField label="Max new tokens" name="maxNewTokens" step={16} field="maxNewTokens" />
        <NumberField label="Min new tokens" name="minNewTokens" step={16} field="minNewTokens" />
      </div>
      <label className="check">
        <input type="checkbox" checked={confidence !== null} onChange={(e) => update({ confidence: e.target.checked ? 0.9 : null })} />
        Stop rule with confidence level (stop when 1 − p &lt; c)
      </label>
      <FieldError fields={['confidence', 'maxNewTokens', 'minNewTokens']} />
      <div className="segmented" role="radiogroup" aria-label="Decoding">
        <button type="button" className={!sampled ? 'on' : ''} aria-pressed={!sampled} onClick={() => update({ sampled: false })}>
          Greedy
        </button>
        <button type="button" className={sampled ? 'on' : ''} aria-pressed={sampled} onClick={() => update({ sampled: true })} data-testid="sampled">
          Sample
        </button>
      </div>
      {sampled && (
        <div className="field-grid four">
          <NumberField label="Temperature" name="temperature" step={0.1} field="temperature" />
          <NumberField label="Top-k" name="topK" step={1} field="topK" />
          <NumberField label="Top-p" name="topP" step={0.05} field="topP" />
          <NumberField label="Seed" name="seed" step={1} field="seed" />
        </div>
      )}
      <FieldError fields={['sampling']} />
      <label className="check">
        <input type="checkbox" checked={chatTemplate} onChange={(e) => update({ chatTemplate: e.target.checked })} />
        Wrap in the chat template
      </label>
      <label className="check" title="After each macro step the baseline checks the step's tokens in one forward; the output does not change">
        <input type="checkbox" checked={audit} onChange={(e) => update({ audit: e.target.checked })} data-testid="setting-audit" />
        Audit HAMburger with the baseline
      </label>
      <FieldError fields={['audit']} />
      <label className="field" title="Research setting: the position id of the KV entry a macro step writes for the previous group (baseline runs ignore it)">
        <span>Group position</span>
        <select value={positionConvention} onChange={(e) => update({ positionConvention: e.target.value as PositionConvention })} data-testid="setting-positionConvention">
          <option value="last_token">its last token&apos;s index (as trained)</option>
          <option value="tokens_so_far">tokens so far (authors&apos; HF generate)</option>
        </select>
      </label>
      <FieldError fields={['positionConvention']} />
    </fieldset>
  );
}
