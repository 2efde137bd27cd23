// `generate`: one generation, streamed to the terminal (or one JSON object with --json).
import { parseArgs } from 'node:util';
import type { GenerationResult, MacroStep, MemoryFigures, MicroStep, StepVerification, VerificationTotals } from '../api.js';
import { DEFAULT_MODEL_DIR } from '../defaultModel.js';
import { EngineError } from '../errors.js';
import { TraceRecorder } from '../traceRecorder.js';
import { writeFileAtomic } from './atomicWrite.js';
import { CONTINUE_OPTIONS, continuedRequest } from './continueFlags.js';
import { MODEL_OPTIONS, SAMPLING_OPTIONS, requestFromFlags, loadEngine } from './requestOptions.js';
import { snakeCaseFields } from './snakeCaseFields.js';
import { round } from './stats.js';
import { probabilityLegend, styleFor } from './terminalStyle.js';

export const GENERATE_USAGE = `usage: npm run cli -- generate --prompt TEXT [--model DIR] [--mode hamburger|baseline|verify] [--audit]
       [--confidence C] [--max-new-tokens N] [--min-new-tokens N] [--temperature T --top-k K --top-p P --seed S]
       [--raw] [--trace FILE] [--position-convention last_token|tokens_so_far] [--threads N] [--context N] [--json]
  a fork of a saved run, from its step K (its prompt, the groups of steps 0..K-1 replayed, then these settings):
       npm run cli -- generate --fork-from TRACE --fork-step K [--fork-token ID] [settings as above]
  the next turn of a conversation a saved run answered (earlier answers kept smashed, or re-prefilled unmerged):
       npm run cli -- generate --reply-to TRACE --prompt MESSAGE [--turn-cache smashed|unmerged] [settings as above]`;

function microJson(m: MicroStep): Record<string, unknown> {
  return {
    ...snakeCaseFields(m, ['tokenId', 'text', 'prob', 'entropy']),
    top: m.top.map((t) => snakeCaseFields(t, ['tokenId', 'text', 'prob'])),
    ...snakeCaseFields(m, ['stopProb', 'stopReason']),
  };
}

function stepVerificationJson(v: StepVerification): Record<string, unknown> {
  return {
    ...snakeCaseFields(v, ['kind', 'acceptedPrefix', 'outcome', 'draftStopReason', 'baselineMs']),
    verdicts: v.verdicts.map((d) =>
      snakeCaseFields(d, ['tokenId', 'text', 'draftProb', 'baselineProb', 'baselineTopId', 'baselineTopProb', 'agrees', 'accepted']),
    ),
  };
}

export function verificationTotalsJson(v: VerificationTotals): Record<string, unknown> {
  return snakeCaseFields(v, [
    'kind',
    'verifier',
    'steps',
    'checked',
    'agreed',
    'accepted',
    'agreementRate',
    'acceptanceRate',
    'meanAcceptedPrefix',
    'baselineForwards',
    'baselineForwardsPerToken',
    'baselineMs',
  ]);
}

function stepJson(s: MacroStep): Record<string, unknown> {
  return {
    ...snakeCaseFields(s, ['index', 'kvEntry', 'positionId', 'tokenIds', 'text', 'stopReason']),
    micro: s.micro.map(microJson),
    timings_ms: { embed: s.timings.embedMs, base: s.timings.baseMs, micro: s.timings.microMs, total: s.timings.totalMs },
    ...(s.verification === undefined ? {} : { verification: stepVerificationJson(s.verification) }),
  };
}

export function resultJson(result: GenerationResult, steps: readonly MacroStep[], extra: Record<string, unknown>): Record<string, unknown> {
  return {
    ...extra,
    ...snakeCaseFields(result, ['text', 'tokens', 'macroSteps', 'tokensPerStep']),
    kv_entries: { prompt: result.kvEntries.prompt, generated: result.kvEntries.generated },
    // stop_token_id is left out of the JSON where the run did not end on one (undefined).
    ...snakeCaseFields(result, ['tokensPerSecond', 'finishReason', 'stopTokenId', 'elapsedMs', 'prefillMs', 'firstTokenMs', 'engineOverhead', 'tokenIds']),
    ...(result.verification === undefined ? {} : { verification: verificationTotalsJson(result.verification) }),
    steps: steps.map(stepJson),
  };
}

/** The engine's memory and the run's context, as `generate --json` reports them. */
export function memoryJson(weightsBytes: number, memory: MemoryFigures): Record<string, unknown> {
  return {
    memory: { weights_bytes: weightsBytes, kv_reserved_bytes: memory.kvReservedBytes, kv_used_bytes: memory.kvUsedBytes },
    context: { used: memory.contextUsed, limit: memory.contextLimit },
  };
}

export async function generateCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...MODEL_OPTIONS,
      ...SAMPLING_OPTIONS,
      ...CONTINUE_OPTIONS,
      prompt: { type: 'string' },
      mode: { type: 'string' },
      confidence: { type: 'string' },
      'max-new-tokens': { type: 'string' },
      'min-new-tokens': { type: 'string' },
      raw: { type: 'boolean', default: false },
      audit: { type: 'boolean', default: false },
      'forced-groups': { type: 'string' },
      trace: { type: 'string' },
      'position-convention': { type: 'string' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(GENERATE_USAGE);
    return 0;
  }
  if (values.prompt === undefined && values['fork-from'] === undefined) throw new EngineError('empty_prompt', '--prompt is required (or --fork-from TRACE)', { field: 'prompt' });
  const request = await continuedRequest(values, requestFromFlags(values, values.prompt ?? ''));
  // One run: the baseline's graphs are opened only when its mode needs them.
  const engine = await loadEngine(values.model ?? DEFAULT_MODEL_DIR, values, { openOnDemand: true });
  try {
    await engine.prepare(request);
    const steps: MacroStep[] = [];
    const recorder = new TraceRecorder({ name: engine.info.name, description: engine.info.description });
    const out = process.stdout;
    const style = styleFor(out);
    const live = !values.json;
    let promptTokens = 0;
    let label = '';
    const handle = engine.generate(request, (event) => {
      recorder.record(event);
      if (event.type === 'started') {
        promptTokens = event.prompt.tokenIds.length;
        label = event.settings.label;
        if (live) {
          const c = event.settings.confidence;
          out.write(style.dim(`${engine.info.name} · ${label} · confidence ${c === null ? 'p>0.5' : c} · prompt ${promptTokens} tokens · loaded in ${Math.round(engine.info.loadMs)} ms\n`));
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
    if (values.trace !== undefined) await writeFileAtomic(values.trace, `${JSON.stringify(recorder.trace())}\n`, 'trace');
    if (values.json) {
      const extra = { model: engine.info.name, mode: request.mode ?? 'hamburger', decoder: label, prompt_tokens: promptTokens };
      const json = { ...resultJson(result, steps, extra), ...(result.memory === undefined ? {} : memoryJson(engine.info.weightsBytes, result.memory)) };
      out.write(`${JSON.stringify(json)}\n`);
    } else {
      const kv = result.kvEntries;
      out.write('\n\n');
      out.write(
        style.bold(
          `${result.tokens} tokens in ${result.macroSteps} macro steps (${round(result.tokensPerStep, 2)} tokens/step) · ` +
            `KV entries ${kv.prompt} prompt + ${kv.generated} generated · ${round(result.tokensPerSecond, 1)} tokens/s · ` +
            `${result.firstTokenMs === undefined ? '' : `first token ${round(result.firstTokenMs, 1)} ms · `}stopped: ${result.finishReason}\n`,
        ),
      );
      const v = result.verification;
      if (v !== undefined) out.write(`${verificationLine(v)}\n`);
    }
  } finally {
    await engine.dispose();
  }
  return 0;
}

/** The baseline's figures of an audited or verify run, in words. */
function verificationLine(v: VerificationTotals): string {
  const agreement = `baseline agreed with ${v.agreed}/${v.checked} tokens (${round(100 * v.agreementRate, 1)}%)`;
  if (v.kind === 'audit') {
    return `audit: ${agreement} · greedy verification would keep ${round(v.meanAcceptedPrefix, 2)} tokens per step · ${v.baselineForwards} baseline forwards`;
  }
  return (
    `verify: kept ${v.accepted}/${v.checked} drafts (${round(100 * v.acceptanceRate, 1)}%), ${round(v.meanAcceptedPrefix, 2)} per step · ` +
    `${v.baselineForwards} baseline forwards (${round(v.baselineForwardsPerToken, 3)} per token)`
  );
}
