// `analyse`: a given text scored by HAMburger teacher-forced (docs/engine.md, "Analysing a
// text"): each token's probability and entropy, the groups decoding would make of it, the
// perplexity. Streamed like `generate` (tokens coloured by probability, groups on alternating
// backgrounds), or one JSON object with --json.
import { parseArgs } from 'node:util';
import { MAX_TEXT_CHARS, type AnalyseRequestInput, type MacroStep, type MicroStep, type TextAnalysis } from '../api.js';
import { DEFAULT_MODEL_DIR } from '../defaultModel.js';
import { EngineError } from '../errors.js';
import { TraceRecorder } from '../traceRecorder.js';
import { writeFileAtomic } from './atomicWrite.js';
import { readFlagFile } from './flagFile.js';
import { MODEL_OPTIONS, loadEngine, numberFlag } from './requestOptions.js';
import { snakeCaseFields } from './snakeCaseFields.js';
import { round } from './stats.js';
import { probabilityLegend, styleFor } from './terminalStyle.js';

export const ANALYSE_USAGE = `usage: npm run cli -- analyse (--text TEXT | --text-file FILE) [--prompt TEXT] [--model DIR]
       [--confidence C] [--raw] [--trace FILE] [--threads N] [--context N] [--json]`;

/** Largest --text-file read: a UTF-8 file of MAX_TEXT_CHARS characters takes at most 4 bytes each. */
const MAX_TEXT_FILE_BYTES = 4 * MAX_TEXT_CHARS;

async function textFromFlags(values: { text?: string | undefined; 'text-file'?: string | undefined }): Promise<string> {
  const file = values['text-file'];
  if (values.text !== undefined && file !== undefined) {
    throw new EngineError('invalid_request', 'give the text once: --text or --text-file, not both', { field: 'text' });
  }
  if (file === undefined) {
    if (values.text === undefined) throw new EngineError('empty_text', '--text or --text-file is required: the text to analyse', { field: 'text' });
    return values.text;
  }
  return readFlagFile(file, 'text-file', MAX_TEXT_FILE_BYTES);
}

export function analysisJson(analysis: TextAnalysis): Record<string, unknown> {
  return {
    ...snakeCaseFields(analysis, ['tokens', 'kvEntries', 'tokensPerStep']),
    mean_group_size: analysis.tokensPerStep,
    ...snakeCaseFields(analysis, ['perplexity', 'meanNll', 'meanEntropy', 'greedyAgreement', 'divergences']),
  };
}

function tokenJson(m: MicroStep): Record<string, unknown> {
  const greedy = m.top[0]!;
  return {
    ...snakeCaseFields(m, ['tokenId', 'text', 'prob', 'entropy']),
    greedy_id: greedy.tokenId,
    greedy_text: greedy.text,
    group: m.step,
    ...snakeCaseFields(m, ['stopProb', 'stopReason']),
  };
}

export async function analyseCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...MODEL_OPTIONS,
      text: { type: 'string' },
      'text-file': { type: 'string' },
      prompt: { type: 'string' },
      confidence: { type: 'string' },
      raw: { type: 'boolean', default: false },
      trace: { type: 'string' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(ANALYSE_USAGE);
    return 0;
  }
  const request: AnalyseRequestInput = { text: await textFromFlags(values), prompt: values.prompt ?? '' };
  const confidence = numberFlag(values, 'confidence');
  if (confidence !== undefined) request.confidence = confidence;
  if (values.raw) request.chatTemplate = false;
  const engine = await loadEngine(values.model ?? DEFAULT_MODEL_DIR, values, { openOnDemand: true });
  try {
    const steps: MacroStep[] = [];
    const recorder = new TraceRecorder({ name: engine.info.name, description: engine.info.description });
    const out = process.stdout;
    const style = styleFor(out);
    const live = !values.json;
    let promptTokens = 0;
    let usedConfidence: number | null = null;
    const handle = engine.analyse(request, (event) => {
      recorder.record(event);
      if (event.type === 'started') {
        promptTokens = event.prompt.tokenIds.length;
        usedConfidence = event.settings.confidence;
        if (live) {
          const c = usedConfidence === null ? 'p>0.5' : usedConfidence;
          out.write(style.dim(`${engine.info.name} · analysis · confidence ${c} · prompt ${promptTokens} tokens · text ${event.settings.maxNewTokens} tokens\n`));
          out.write(style.dim(`${probabilityLegend(style)}\n\n`));
        }
      } else if (event.type === 'micro' && live) {
        if (event.micro.index === 0 && event.micro.step > 0) out.write(style.stepSeparator());
        out.write(style.token(event.micro.text, event.micro.prob, event.micro.step, engine.isSpecialToken(event.micro.tokenId)));
      } else if (event.type === 'macro') {
        steps.push(event.step);
      }
    });
    const result = await handle.done;
    const analysis = result.analysis!;
    if (values.trace !== undefined) await writeFileAtomic(values.trace, `${JSON.stringify(recorder.trace())}\n`, 'trace');
    if (values.json) {
      const json = {
        model: engine.info.name,
        confidence: usedConfidence,
        prompt_tokens: promptTokens,
        ...analysisJson(analysis),
        finish_reason: result.finishReason,
        groups: steps.map((s) => snakeCaseFields(s, ['index', 'positionId', 'tokenIds', 'text', 'stopReason'])),
        token_scores: steps.flatMap((s) => s.micro.map(tokenJson)),
      };
      out.write(`${JSON.stringify(json)}\n`);
    } else {
      out.write('\n\n');
      out.write(
        style.bold(
          `${analysis.tokens} tokens in ${analysis.kvEntries} groups = KV entries (${round(analysis.tokensPerStep, 2)} tokens/step) · ` +
            `perplexity ${round(analysis.perplexity, 3)} · greedy choice ${round(100 * analysis.greedyAgreement, 1)}% of tokens · ` +
            `${analysis.divergences} group(s) ended where the model would have chosen another token\n`,
        ),
      );
    }
  } finally {
    await engine.dispose();
  }
  return 0;
}
