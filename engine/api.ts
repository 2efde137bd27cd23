// Every request, event and result that crosses a process boundary (worker thread, Electron
// IPC, the browser mode's WebSocket, trace files). The zod schemas are the source of truth;
// the TypeScript types are inferred from them, so a payload that passes `schema.parse`
// is exactly the type the code expects. Browser-safe: imports nothing from Node.
import { z } from 'zod';
import { forkRequestSchema, runHistorySchema, turnCacheSchema, turnsSchema } from './history.js';
import { traceInconsistency } from './traceConsistency.js';

// ---------------------------------------------------------------------------------------
// Requests

/** `verify`: HAMburger's groups as drafts, checked by the baseline; the output is the baseline's (docs/engine.md). */
export const MODES = ['hamburger', 'baseline', 'verify'] as const;
export const modeSchema = z.enum(MODES, { error: () => `mode must be one of: ${MODES.join(', ')}` });
export type Mode = z.infer<typeof modeSchema>;

export const MAX_SEED = 0xffff_ffff;
/** A prompt this long (characters) is refused before tokenizing, by the engine and by `encode`. */
export const MAX_PROMPT_CHARS = 200_000;
export const MAX_TEMPERATURE = 10;

export const samplingSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('greedy') }).strict(),
  z
    .object({
      kind: z.literal('sample'),
      temperature: z
        .number({ error: () => 'sampling.temperature must be a number' })
        .gt(0, { error: () => `sampling.temperature must be in (0, ${MAX_TEMPERATURE}]` })
        .max(MAX_TEMPERATURE, { error: () => `sampling.temperature must be in (0, ${MAX_TEMPERATURE}]` }),
      topK: z
        .number({ error: () => 'sampling.topK must be a number' })
        .int({ error: () => 'sampling.topK must be an integer (0 = off)' })
        .min(0, { error: () => 'sampling.topK must be >= 0 (0 = off)' }),
      topP: z
        .number({ error: () => 'sampling.topP must be a number' })
        .gt(0, { error: () => 'sampling.topP must be in (0, 1]' })
        .max(1, { error: () => 'sampling.topP must be in (0, 1]' }),
      seed: z
        .number({ error: () => 'sampling.seed must be a number' })
        .int({ error: () => `sampling.seed must be an integer in [0, ${MAX_SEED}]` })
        .min(0, { error: () => `sampling.seed must be an integer in [0, ${MAX_SEED}]` })
        .max(MAX_SEED, { error: () => `sampling.seed must be an integer in [0, ${MAX_SEED}]` }),
    })
    .strict(),
], { error: () => 'sampling must be {kind: "greedy"} or {kind: "sample", temperature, topK, topP, seed}' });
export type Sampling = z.infer<typeof samplingSchema>;

/**
 * Where a fed-back group's KV entry sits (docs/engine.md, "Position convention"): at the index
 * of its last token (`last_token`: the training code, the authors' gpt-fast fork, the reference
 * decoder) or one higher, at the number of tokens so far (`tokens_so_far`: the authors' Hugging
 * Face generation routine). Prompt entries sit at their own index under both.
 */
export const POSITION_CONVENTIONS = ['last_token', 'tokens_so_far'] as const;
export const positionConventionSchema = z.enum(POSITION_CONVENTIONS, {
  error: () => `positionConvention must be one of: ${POSITION_CONVENTIONS.join(', ')}`,
});
export type PositionConvention = z.infer<typeof positionConventionSchema>;

/** Most entries of a forced group-size schedule (a recorded run's steps). */
export const MAX_FORCED_GROUPS = 4096;

/** What a caller sends to start a generation. Omitted fields take the model's defaults. */
export const generateRequestSchema = z
  .object({
    prompt: z.string({ error: () => 'prompt must be a string' }),
    mode: modeSchema.default('hamburger'),
    /** Confidence level c of the stop rule (stop when 1 - p < c); null: stop when p > 0.5. */
    confidence: z
      .number({ error: () => 'confidence must be a number in [0, 1] or null' })
      .min(0, { error: () => 'confidence must be in [0, 1]' })
      .max(1, { error: () => 'confidence must be in [0, 1]' })
      .nullable()
      .optional(),
    maxNewTokens: z
      .number({ error: () => 'maxNewTokens must be a number' })
      .int({ error: () => 'maxNewTokens must be an integer' })
      .optional(),
    /**
     * End of sequence cannot be chosen before this many tokens are generated (0: off), as
     * min_new_tokens elsewhere. An engine option: the Python reference decoder has none.
     */
    minNewTokens: z
      .number({ error: () => 'minNewTokens must be a number' })
      .int({ error: () => 'minNewTokens must be an integer' })
      .min(0, { error: () => 'minNewTokens must be 0 or more' })
      .default(0),
    sampling: samplingSchema.default({ kind: 'greedy' }),
    /** Wrap the prompt in the model's chat template as one user message (default), or feed it raw. */
    chatTemplate: z.boolean({ error: () => 'chatTemplate must be a boolean' }).default(true),
    /** Start paused: nothing runs until stepMacro, stepMicro or resume. */
    startPaused: z.boolean({ error: () => 'startPaused must be a boolean' }).default(false),
    /**
     * `hamburger` mode only: after each macro step the baseline checks the step's tokens in
     * one forward; the macro events carry its verdicts, the output does not change.
     */
    audit: z.boolean({ error: () => 'audit must be a boolean' }).default(false),
    /**
     * A timing simulation (models with random weights make no useful stop decision): macro
     * step i ends when its group reaches forcedGroupSizes[i mod length] tokens, whatever the
     * stop head says (eos and the token limit still end it). Recorded schedules: docs/real-models.md.
     */
    forcedGroupSizes: z
      .array(z.number({ error: () => 'forcedGroupSizes must hold integers' }).int({ error: () => 'forcedGroupSizes must hold integers' }).min(1, { error: () => 'forcedGroupSizes entries must be >= 1' }), {
        error: () => 'forcedGroupSizes must be an array of group sizes',
      })
      .min(1, { error: () => 'forcedGroupSizes must not be empty' })
      .max(MAX_FORCED_GROUPS, { error: () => `forcedGroupSizes holds at most ${MAX_FORCED_GROUPS} sizes` })
      .optional(),
    /** A research setting: the position of a fed-back group's entry (HAMburger's groups only; baseline mode is plain next-token decoding). */
    positionConvention: positionConventionSchema.default('last_token'),
    /** Start after an earlier run's groups: a fork from one of its steps (engine/history.ts). */
    fork: forkRequestSchema.optional(),
    /** A conversation's earlier turns; `prompt` is the new user message (needs the chat template). */
    turns: turnsSchema.optional(),
    turnCache: turnCacheSchema.default('smashed'),
  })
  .strict();
export type GenerateRequestInput = z.input<typeof generateRequestSchema>;
export type GenerateRequest = z.output<typeof generateRequestSchema>;

/** A text this long (characters) is refused before tokenizing: half a prompt's, so a call with both fits a socket message (host/protocol.ts). */
export const MAX_TEXT_CHARS = MAX_PROMPT_CHARS / 2;

/**
 * What a caller sends to analyse a text: HAMburger run over `text` teacher-forced after
 * `prompt` (docs/engine.md, "Analysing a text"). An empty prompt scores the text as a
 * document of its own, after the package's bos token alone.
 */
export const analyseRequestSchema = generateRequestSchema
  .pick({ confidence: true, chatTemplate: true, startPaused: true, positionConvention: true })
  .extend({
    prompt: z.string({ error: () => 'prompt must be a string' }).default(''),
    text: z.string({ error: () => 'text must be a string' }),
  })
  .strict();
export type AnalyseRequestInput = z.input<typeof analyseRequestSchema>;
export type AnalyseRequest = z.output<typeof analyseRequestSchema>;

export const CONTROL_ACTIONS = ['pause', 'resume', 'stepMacro', 'stepMicro', 'cancel'] as const;
export const controlActionSchema = z.enum(CONTROL_ACTIONS, {
  error: () => `control action must be one of: ${CONTROL_ACTIONS.join(', ')}`,
});
export type ControlAction = z.infer<typeof controlActionSchema>;

// ---------------------------------------------------------------------------------------
// Errors

export const ERROR_CODES = [
  // request checking
  'invalid_request',
  'empty_prompt',
  'prompt_too_long',
  'invalid_confidence',
  'invalid_max_new_tokens',
  'invalid_min_new_tokens',
  'unknown_mode',
  'invalid_sampling',
  'empty_text',
  'text_too_long',
  'invalid_fork',
  'invalid_turns',
  'busy',
  'no_run',
  'not_owner',
  'no_model',
  'not_prepared',
  'load_timeout',
  'model_not_allowed',
  // model package
  'manifest_missing',
  'manifest_not_json',
  'manifest_invalid',
  'graph_missing',
  'graph_unreadable',
  'graph_interface_mismatch',
  'tokenizer_missing',
  'tokenizer_invalid',
  'tokenizer_vocab_mismatch',
  'chat_template_invalid',
  'not_a_file',
  'file_too_large',
  'context_too_large',
  'load_cancelled',
  'external_data_invalid',
  // files and runtime
  'trace_invalid',
  'inference_failed',
  'internal',
] as const;
export type EngineErrorCode = (typeof ERROR_CODES)[number];

export const engineErrorInfoSchema = z.object({
  code: z.enum(ERROR_CODES),
  message: z.string(),
  /** The request or manifest field at fault, dotted ("sampling.topP", "architecture.vocab_size"). */
  field: z.string().optional(),
  /** The limit that was broken, in words ("<= 1023 tokens"). */
  limit: z.string().optional(),
});
export type EngineErrorInfo = z.infer<typeof engineErrorInfoSchema>;

// ---------------------------------------------------------------------------------------
// The model as the UI sees it

/** Weight storage of a package's graphs: int8 (per-channel, ONNX Runtime's quantizer), float16, float32. */
export const WEIGHT_FORMATS = ['int8', 'fp16', 'fp32'] as const;

export const modelInfoSchema = z.object({
  name: z.string(),
  description: z.string(),
  directory: z.string(),
  architecture: z.object({
    hiddenSize: z.number(),
    numLayers: z.number(),
    numKvHeads: z.number(),
    headDim: z.number(),
    vocabSize: z.number(),
    maxPosition: z.number(),
    microLayers: z.number(),
    maxSteps: z.number(),
    featureLayers: z.array(z.number()),
  }),
  defaults: z.object({ confidence: z.number().nullable(), maxNewTokens: z.number() }),
  limits: z.object({
    /** Positions (prompt + generated tokens) a run may use: the load's context, at most max_position. */
    context: z.number(),
    /** Longest prompt in tokens (after the chat template): context - 1. */
    maxPromptTokens: z.number(),
    /** Largest maxNewTokens accepted: context - 1. */
    maxNewTokens: z.number(),
  }),
  /** What `baseline` mode runs: the package's own baseline graphs, or the HAMburger graphs forced to one token per step. */
  baseline: z.enum(['baseline-graphs', 'hamburger-single-token']),
  /** Where token embeddings come from during decoding (see docs/engine.md). */
  embeddings: z.enum(['js-table', 'embed-graph']),
  loadMs: z.number(),
  /** Bytes of the package's graph files and their external data. */
  weightsBytes: z.number(),
  /** How those weights are stored. */
  weights: z.enum(WEIGHT_FORMATS),
  threads: z.number(),
  provenance: z.unknown(),
});
export type ModelInfo = z.infer<typeof modelInfoSchema>;

/** How far a model load has come: told before each graph opens, and once all are open. */
export const loadProgressSchema = z.object({
  directory: z.string(),
  /** The graph opening now; null once every graph is open (the engine then warms up). */
  file: z.string().nullable(),
  graphsDone: z.number(),
  graphsTotal: z.number(),
  /** Bytes of the graph files opened so far, of all of them. */
  bytesDone: z.number(),
  bytesTotal: z.number(),
});
export type LoadProgress = z.infer<typeof loadProgressSchema>;

// ---------------------------------------------------------------------------------------
// Events of one generation

/**
 * `forced`: a timing simulation's recorded group size was reached (forcedGroupSizes), not the stop head's choice.
 * `diverged`: an analysis (a text forced token by token) reached a token that differs from the model's greedy choice.
 */
export const STOP_REASONS = ['stop_head', 'max_steps', 'eos', 'limit', 'forced', 'diverged'] as const;
export const stopReasonSchema = z.enum(STOP_REASONS);
/** Why a macro step ended after this micro step: the stop head said so, the group is full, end of sequence, or the token limit. */
export type StopReason = z.infer<typeof stopReasonSchema>;

export const alternativeSchema = z.object({ tokenId: z.number(), text: z.string(), prob: z.number() });
export type Alternative = z.infer<typeof alternativeSchema>;

export const microStepSchema = z.object({
  /** Macro step this micro step belongs to. */
  step: z.number(),
  /** 0: from the base forward's own logits; 1..: one micro-decoder call each. */
  index: z.number(),
  tokenId: z.number(),
  text: z.string(),
  /** Probability of the chosen token under the model's (untempered) distribution. */
  prob: z.number(),
  /** Entropy of that distribution in nats. */
  entropy: z.number(),
  /** The five most likely tokens. */
  top: z.array(alternativeSchema),
  /** Stop head's probability that this token ends the macro step (null: no stop head, baseline graphs). */
  stopProb: z.number().nullable(),
  /** Null while the macro step goes on. */
  stopReason: stopReasonSchema.nullable(),
  /** Time of this micro step's graph call and bookkeeping (micro step 0: 0, the base forward is counted on the macro step). */
  ms: z.number(),
});
export type MicroStep = z.infer<typeof microStepSchema>;

export const kvEntrySchema = z.object({
  /** Index of the entry in the base model's KV cache (0-based, prompt entries first). */
  index: z.number(),
  positionId: z.number(),
  kind: z.enum(['prompt', 'group']),
  /** Tokens stored (smashed) in this entry: one for a prompt entry, the previous step's group otherwise. */
  tokenIds: z.array(z.number()),
  text: z.string(),
});
export type KvEntry = z.infer<typeof kvEntrySchema>;

export const featureSummarySchema = z.object({
  /** 1-based base layer whose output feeds the micro decoder (the last is after the final norm). */
  layer: z.number(),
  norm: z.number(),
  /** The first few values, for the step-through view. */
  head: z.array(z.number()),
});
export type FeatureSummary = z.infer<typeof featureSummarySchema>;

/** What checks HAMburger's tokens: the package's baseline graphs, or (without them) the HAMburger graphs one token per step. */
export const VERIFIERS = ['baseline-graphs', 'hamburger-single-token'] as const;
export const verifierSchema = z.enum(VERIFIERS);
export type Verifier = z.infer<typeof verifierSchema>;

/** The baseline's verdict on one token HAMburger produced. */
export const verdictSchema = z.object({
  tokenId: z.number(),
  text: z.string(),
  /** HAMburger's probability of the token (its micro step, untempered). */
  draftProb: z.number(),
  /** The baseline's probability of the token at this place (untempered). */
  baselineProb: z.number(),
  /** What greedy baseline decoding would have chosen here, and its probability. */
  baselineTopId: z.number(),
  baselineTopText: z.string(),
  baselineTopProb: z.number(),
  /** The token is the baseline's argmax. */
  agrees: z.boolean(),
  /** verify: the verifier kept this draft. audit: the token lies in the agreeing prefix that greedy verification would keep. */
  accepted: z.boolean(),
});
export type Verdict = z.infer<typeof verdictSchema>;

export const VERIFICATION_OUTCOMES = ['bonus', 'correction', 'ended'] as const;

/** A macro step checked by the baseline (audit) or verified by it (verify). */
export const stepVerificationSchema = z.object({
  kind: z.enum(['audit', 'verify']),
  /** One per checked token: the step's tokens (audit), or every draft HAMburger proposed, rejected ones included (verify). */
  verdicts: z.array(verdictSchema),
  /** Leading verdicts accepted. */
  acceptedPrefix: z.number(),
  /**
   * What closed the step. verify: every draft kept and the baseline added its own next token
   * (`bonus`); a draft rejected and replaced by the baseline's token (`correction`); the run
   * ended inside the kept drafts, at eos or the token limit (`ended`). audit: what greedy
   * verification would have done (`bonus` when every token agrees, else `correction`).
   */
  outcome: z.enum(VERIFICATION_OUTCOMES),
  /** Why HAMburger stopped proposing tokens in this step. */
  draftStopReason: stopReasonSchema,
  /** The baseline's forward over the checked tokens and its LM head over their rows. */
  baselineMs: z.number(),
});
export type StepVerification = z.infer<typeof stepVerificationSchema>;

/** Running figures of a run checked by the baseline. */
export const verificationTotalsSchema = z.object({
  kind: z.enum(['audit', 'verify']),
  verifier: verifierSchema,
  /** Macro steps checked (one baseline forward each). */
  steps: z.number(),
  /** Tokens checked: every emitted token (audit) or every draft (verify). */
  checked: z.number(),
  /** Checked tokens equal to the baseline's argmax. */
  agreed: z.number(),
  /** Checked tokens accepted (see the verdict's `accepted`). */
  accepted: z.number(),
  /** agreed / checked. */
  agreementRate: z.number(),
  /** accepted / checked: for verify, the share of drafts the verifier kept. */
  acceptanceRate: z.number(),
  /** accepted / steps. */
  meanAcceptedPrefix: z.number(),
  baselineForwards: z.number(),
  /** baselineForwards / generated tokens (plain baseline decoding: 1). */
  baselineForwardsPerToken: z.number(),
  baselineMs: z.number(),
});
export type VerificationTotals = z.infer<typeof verificationTotalsSchema>;

/** Memory and context while a run goes: what its KV caches hold, and the positions it has used. */
export const memoryFiguresSchema = z.object({
  /** Bytes of KV rows written, over every cache of the engine (base, micro, baseline, verifier). */
  kvUsedBytes: z.number(),
  /** Bytes the caches hold now: they grow as runs need them, up to the context. */
  kvReservedBytes: z.number(),
  /** Positions used: prompt tokens plus generated tokens. */
  contextUsed: z.number(),
  /** The load's context. */
  contextLimit: z.number(),
});
export type MemoryFigures = z.infer<typeof memoryFiguresSchema>;

export const totalsSchema = z.object({
  tokens: z.number(),
  macroSteps: z.number(),
  promptEntries: z.number(),
  /** KV entries written for generated tokens so far (the last group is pending until a next step feeds it). */
  generatedEntries: z.number(),
  kvEntries: z.number(),
  /** Generated tokens per generated KV entry, counting the pending group as one entry. */
  tokensPerEntry: z.number(),
  tokensPerStep: z.number(),
  /** Active time since the start (paused time excluded). */
  elapsedMs: z.number(),
  tokensPerSecond: z.number(),
  /** Time to first token (docs/engine.md, "Time to first token"); absent in traces older than it. */
  firstTokenMs: z.number().optional(),
  /** Audited and verify runs only. */
  verification: verificationTotalsSchema.optional(),
  /** Absent in traces older than it. */
  memory: memoryFiguresSchema.optional(),
});
export type Totals = z.infer<typeof totalsSchema>;

export const macroStepSchema = z.object({
  index: z.number(),
  /** The KV entries this step's base forward appended: the whole prompt for step 0, one group entry after (verify: the kept drafts' entry and the baseline token's). */
  appended: z.array(kvEntrySchema),
  /** Index and position id of the last entry appended (the one this step's tokens were predicted from). */
  kvEntry: z.number(),
  positionId: z.number(),
  features: z.array(featureSummarySchema),
  micro: z.array(microStepSchema),
  /** Tokens emitted by this step: the group that the next step smashes into one KV entry (verify: kept drafts into one, the baseline's token into another). */
  tokenIds: z.array(z.number()),
  text: z.string(),
  /** verify mode: why HAMburger stopped drafting, or `eos` / `limit` when the emitted tokens end the run (see `verification`). */
  stopReason: stopReasonSchema,
  /** Audited and verify runs only: the baseline's verdicts on this step. */
  verification: stepVerificationSchema.optional(),
  timings: z.object({
    /** Embedding lookup of the step's input (the prompt, or the previous group; composing the group runs inside the base graph, in baseMs). */
    embedMs: z.number(),
    baseMs: z.number(),
    microMs: z.number(),
    totalMs: z.number(),
    /** Time inside session.run for this step, all graphs together. */
    sessionMs: z.number(),
  }),
  totals: totalsSchema,
});
export type MacroStep = z.infer<typeof macroStepSchema>;

export const FINISH_REASONS = ['eos', 'max_new_tokens', 'context_full', 'cancelled'] as const;
export type FinishReason = (typeof FINISH_REASONS)[number];

export const runSettingsSchema = z.object({
  mode: modeSchema,
  /** What actually ran: the method, the package's baseline graphs, or the HAMburger graphs forced to one token per step. */
  decoder: z.enum(['hamburger', 'baseline-graphs', 'hamburger-single-token']),
  label: z.string(),
  confidence: z.number().nullable(),
  maxNewTokens: z.number(),
  /** End of sequence suppressed before this many tokens (absent in traces older than the option). */
  minNewTokens: z.number().optional(),
  maxTokensPerStep: z.number(),
  sampling: samplingSchema,
  chatTemplate: z.boolean(),
  /** A `hamburger` run audited by the baseline. */
  audit: z.boolean().optional(),
  /** What checks the tokens in audited and verify runs. */
  verifier: verifierSchema.optional(),
  /** A timing simulation: the group sizes each macro step was forced to (cycled). */
  forcedGroupSizes: z.array(z.number()).optional(),
  /** Where fed-back group entries sat (absent in traces older than the option: `last_token`). */
  positionConvention: positionConventionSchema.optional(),
  /** An analysis: every generated token was forced to a given text's (maxNewTokens is its length). */
  analysis: z.boolean().optional(),
});
export type RunSettings = z.infer<typeof runSettingsSchema>;

/** What an analysis found about its text, from the tokens' micro steps (engine/textAnalysis.ts). */
export const textAnalysisSchema = z.object({
  /** Tokens of the text scored. */
  tokens: z.number(),
  /** KV entries the text takes: one per group (the last one pending, as a run counts it). */
  kvEntries: z.number(),
  /** tokens / kvEntries: the mean group size. */
  tokensPerStep: z.number(),
  /** exp of the mean negative log probability of the text's tokens. */
  perplexity: z.number(),
  /** Mean negative log probability, nats per token. */
  meanNll: z.number(),
  /** Mean entropy of the distributions the tokens were scored from, nats. */
  meanEntropy: z.number(),
  /** Share of the text's tokens equal to the model's greedy choice at their place. */
  greedyAgreement: z.number(),
  /** Groups that ended because the model's greedy choice differed from the text (`diverged`). */
  divergences: z.number(),
});
export type TextAnalysis = z.infer<typeof textAnalysisSchema>;

export const resultSchema = z.object({
  runId: z.string(),
  finishReason: z.enum(FINISH_REASONS),
  /** finishReason `eos`: which of the package's stop ids ended the run. */
  stopTokenId: z.number().optional(),
  text: z.string(),
  tokenIds: z.array(z.number()),
  tokens: z.number(),
  macroSteps: z.number(),
  tokensPerStep: z.number(),
  kvEntries: z.object({ prompt: z.number(), generated: z.number() }),
  tokensPerSecond: z.number(),
  /** Active time (paused time excluded). */
  elapsedMs: z.number(),
  prefillMs: z.number(),
  /** Time to first token, as in the totals; absent when no token came (a run cancelled first) and in traces older than it. */
  firstTokenMs: z.number().optional(),
  /** Time inside session.run, all graphs. */
  sessionMs: z.number(),
  /** Share of active time spent outside session.run. */
  engineOverhead: z.number(),
  /** Audited and verify runs only. */
  verification: verificationTotalsSchema.optional(),
  /** Absent in traces older than it. */
  memory: memoryFiguresSchema.optional(),
  /** Analyses only: the text's figures. */
  analysis: textAnalysisSchema.optional(),
});
export type GenerationResult = z.infer<typeof resultSchema>;

export const startedEventSchema = z.object({
  type: z.literal('started'),
  runId: z.string(),
  model: z.string(),
  settings: runSettingsSchema,
  prompt: z.object({ text: z.string(), rendered: z.string(), tokenIds: z.array(z.number()), tokens: z.array(z.string()) }),
  paused: z.boolean(),
  /** A fork or a later turn: what the run started after (prompt.tokenIds then hold the whole context; absent in traces before version 2). */
  history: runHistorySchema.optional(),
});
/** A macro step's base forward: what its micro decoder starts from (its macro step repeats these fields). */
export const baseForwardSchema = z.object({ step: z.number(), kvEntry: z.number(), positionId: z.number(), features: z.array(featureSummarySchema) });
export type BaseForward = z.infer<typeof baseForwardSchema>;

/** The base forward of a finished macro step, as its `base` event reported it. */
export function baseForwardOf(step: MacroStep): BaseForward {
  return { step: step.index, kvEntry: step.kvEntry, positionId: step.positionId, features: step.features };
}

/** A macro step's base forward is done, before its first micro event. */
export const baseEventSchema = z.object({ type: z.literal('base'), runId: z.string(), base: baseForwardSchema });
export const microEventSchema = z.object({ type: z.literal('micro'), runId: z.string(), micro: microStepSchema });
export const macroEventSchema = z.object({ type: z.literal('macro'), runId: z.string(), step: macroStepSchema });
export const stateEventSchema = z.object({
  type: z.literal('state'),
  runId: z.string(),
  state: z.enum(['running', 'paused']),
});
export const finishedEventSchema = z.object({ type: z.literal('finished'), runId: z.string(), result: resultSchema });
export const failedEventSchema = z.object({ type: z.literal('failed'), runId: z.string(), error: engineErrorInfoSchema });

export const engineEventSchema = z.discriminatedUnion('type', [
  startedEventSchema,
  baseEventSchema,
  microEventSchema,
  macroEventSchema,
  stateEventSchema,
  finishedEventSchema,
  failedEventSchema,
]);
export type StartedEvent = z.infer<typeof startedEventSchema>;
export type BaseEvent = z.infer<typeof baseEventSchema>;
export type MicroEvent = z.infer<typeof microEventSchema>;
export type MacroEvent = z.infer<typeof macroEventSchema>;
export type StateEvent = z.infer<typeof stateEventSchema>;
export type FinishedEvent = z.infer<typeof finishedEventSchema>;
export type FailedEvent = z.infer<typeof failedEventSchema>;
export type EngineEvent = z.infer<typeof engineEventSchema>;

// ---------------------------------------------------------------------------------------
// Traces: a whole generation as one JSON document, replayable without the model

export const TRACE_FORMAT = 'hamburger-trace';
export const TRACE_VERSION = 2;
/** Versions a trace file may have: version 1 (before forks and turns) reads as it is. */
export const TRACE_VERSIONS = [1, TRACE_VERSION] as const;
/**
 * Largest trace file the app and the CLI open. Measured (docs/app.md, "Trace files"): the
 * shipped model's largest trace is 3.7 MB (1,023 tokens in verify mode, as Save writes it),
 * about 3.6 KiB per token, so 8,192 tokens of a real-size model come to about 30 MB; this
 * leaves twice that.
 */
export const TRACE_FILE_MAX_BYTES = 64 * 1024 * 1024;

const traceDocumentSchema = z.object({
  format: z.literal(TRACE_FORMAT),
  version: z.union([z.literal(1), z.literal(TRACE_VERSION)], { error: () => `version must be one of: ${TRACE_VERSIONS.join(', ')}` }),
  createdAt: z.string(),
  model: z.object({ name: z.string(), description: z.string() }),
  /** Settings and prompt of the run: enough to run it again. */
  started: startedEventSchema,
  steps: z.array(macroStepSchema),
  result: resultSchema.nullable(),
  error: engineErrorInfoSchema.nullable(),
});
export type Trace = z.infer<typeof traceDocumentSchema>;

/**
 * A trace file as it is read: its shape, then what its parts must agree on (steps in order,
 * each KV entry where the engine puts it, verdicts and totals that add up:
 * traceConsistency.ts), so that no file that passes can make a replay's view fail.
 */
export const traceSchema = traceDocumentSchema.superRefine((trace, context) => {
  const issue = traceInconsistency(trace);
  if (issue !== null) context.addIssue({ code: 'custom', path: issue.path, message: issue.message });
});

/** The events a live run emitted, rebuilt from its trace in order (state events are not recorded). */
export function traceEvents(trace: Trace): EngineEvent[] {
  const runId = trace.started.runId;
  const events: EngineEvent[] = [trace.started];
  for (const step of trace.steps) {
    events.push({ type: 'base', runId, base: baseForwardOf(step) });
    for (const micro of step.micro) events.push({ type: 'micro', runId, micro });
    events.push({ type: 'macro', runId, step });
  }
  if (trace.result !== null) events.push({ type: 'finished', runId, result: trace.result });
  if (trace.error !== null) events.push({ type: 'failed', runId, error: trace.error });
  return events;
}

/** A prompt as the model sees it: rendered through the chat template (or raw), tokenized. */
export const encodedPromptInfoSchema = z.object({ rendered: z.string(), tokenIds: z.array(z.number()), tokens: z.array(z.string()) });
export type EncodedPromptInfo = z.infer<typeof encodedPromptInfoSchema>;
