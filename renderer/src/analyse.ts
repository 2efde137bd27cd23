// The analysis button: the playground's run becomes the analysis of the text in the analysis
// store, after the prompt and at the confidence of the run settings (docs/app.md, "Analysing a
// text"). Failures go where a generation's go: next to the field, and as a notice.
import { MAX_PROMPT_CHARS, MAX_TEXT_CHARS, type AnalyseRequestInput, type EngineErrorInfo } from '../../engine/api';
import { hostApi } from './bridge/hostApi';
import { refuse } from './controller';
import { wakeFrameLoop } from './frameLoop';
import { useAnalysisStore } from './stores/analysisStore';
import { useFormErrorStore } from './stores/formErrorStore';
import { useSettingsStore } from './stores/settingsStore';
import { useViewStore } from './stores/viewStore';

/** Pasted text can be megabytes, more than a host message may carry: refused before it is sent. */
function tooLong(field: 'prompt' | 'text', value: string, limit: number): EngineErrorInfo | null {
  if (value.length <= limit) return null;
  const code = field === 'prompt' ? 'prompt_too_long' : 'text_too_long';
  return { code, message: `${field} has ${value.length.toLocaleString('en')} characters; the limit is ${limit.toLocaleString('en')}`, field, limit: `<= ${limit.toLocaleString('en')} characters` };
}

export function analysisRequest(): AnalyseRequestInput {
  const { prompt, confidence, chatTemplate } = useSettingsStore.getState();
  return { prompt, text: useAnalysisStore.getState().text, confidence, chatTemplate };
}

export async function analyseText(): Promise<void> {
  useFormErrorStore.getState().set(null);
  useViewStore.getState().selectEntry(null);
  const request = analysisRequest();
  const refused = tooLong('prompt', request.prompt ?? '', MAX_PROMPT_CHARS) ?? tooLong('text', request.text, MAX_TEXT_CHARS);
  if (refused !== null) return refuse(refused);
  const reply = await hostApi().call({ method: 'analyse', lane: 'playground', request });
  if (!reply.ok) refuse(reply.error);
  else wakeFrameLoop();
}
