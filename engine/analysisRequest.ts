// Checks an analysis request and turns it into the run it is: a greedy `hamburger` run whose
// tokens are forced to the text's, with maxNewTokens the text's token count. Each problem
// becomes one EngineError with a code, the field and the limit.
import { MAX_PROMPT_CHARS, MAX_TEXT_CHARS, analyseRequestSchema, type EngineErrorCode, type GenerateRequest } from './api.js';
import { EngineError } from './errors.js';
import { stopIdsOf } from './manifest.js';
import type { ModelPackage } from './modelPackage.js';
import { checkPromptLength } from './requestValidation.js';

const CODE_BY_FIELD: Record<string, EngineErrorCode> = { confidence: 'invalid_confidence', text: 'empty_text' };

export interface AnalysisPlan {
  request: GenerateRequest;
  confidence: number | null;
  maxNewTokens: number;
  prompt: { rendered: string; tokenIds: number[] };
  textIds: number[];
}

/** `context`: the positions a run may use. The prompt and the whole text must fit in it. */
export function planAnalysis(input: unknown, pkg: Pick<ModelPackage, 'manifest' | 'tokenizer' | 'chatTemplate'>, context: number): AnalysisPlan {
  const parsed = analyseRequestSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const unknownKeys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    if (unknownKeys.length > 0) throw new EngineError('invalid_request', `unknown analysis field(s): ${unknownKeys.join(', ')}`, { field: unknownKeys.join(', ') });
    const field = issue.path.join('.');
    throw new EngineError(CODE_BY_FIELD[String(issue.path[0])] ?? 'invalid_request', issue.message, field === '' ? {} : { field });
  }
  const analyse = parsed.data;
  if (analyse.text.trim().length === 0) {
    throw new EngineError('empty_text', 'text is empty: there is nothing to analyse', { field: 'text', limit: 'at least one non-space character' });
  }
  if (analyse.text.length > MAX_TEXT_CHARS) {
    throw new EngineError('text_too_long', `text has ${analyse.text.length} characters; the limit is ${MAX_TEXT_CHARS}`, { field: 'text', limit: `<= ${MAX_TEXT_CHARS} characters` });
  }
  if (analyse.prompt.length > MAX_PROMPT_CHARS) {
    throw new EngineError('prompt_too_long', `prompt has ${analyse.prompt.length} characters; the limit is ${MAX_PROMPT_CHARS}`, { field: 'prompt', limit: `<= ${MAX_PROMPT_CHARS} characters` });
  }
  const { manifest, tokenizer, chatTemplate } = pkg;
  // No prompt: the text is a document of its own, after the start of a sequence alone.
  const standalone = analyse.prompt.trim().length === 0;
  const rendered = standalone ? tokenizer.tokenText(manifest.tokens.bos_id) : analyse.chatTemplate ? chatTemplate.renderUserPrompt(analyse.prompt) : analyse.prompt;
  const promptIds = standalone ? [manifest.tokens.bos_id] : tokenizer.encode(rendered);
  checkPromptLength(promptIds.length, context);

  const textIds = tokenizer.encode(analyse.text);
  const stopIds = new Set(stopIdsOf(manifest));
  const early = textIds.findIndex((id, i) => stopIds.has(id) && i < textIds.length - 1);
  if (early >= 0) {
    throw new EngineError('invalid_request', `the text's token ${early + 1} of ${textIds.length} (${tokenizer.tokenText(textIds[early]!)}) ends the sequence; only its last token may`, {
      field: 'text',
      limit: 'no end-of-sequence token before the last',
    });
  }
  // The last group is never fed back: the text may fill the context up to its last position.
  const room = context - promptIds.length;
  if (textIds.length > room) {
    throw new EngineError('text_too_long', `text is ${textIds.length} tokens; after the prompt's ${promptIds.length} the context of ${context} positions holds ${room}`, {
      field: 'text',
      limit: `<= ${room} tokens`,
    });
  }
  const confidence = analyse.confidence === undefined ? manifest.defaults.confidence : analyse.confidence;
  const request: GenerateRequest = {
    prompt: analyse.prompt,
    mode: 'hamburger',
    confidence,
    maxNewTokens: textIds.length,
    minNewTokens: 0,
    sampling: { kind: 'greedy' },
    chatTemplate: !standalone && analyse.chatTemplate,
    startPaused: analyse.startPaused,
    audit: false,
    positionConvention: analyse.positionConvention,
    turnCache: 'smashed',
  };
  return { request, confidence, maxNewTokens: textIds.length, prompt: { rendered, tokenIds: promptIds }, textIds };
}
