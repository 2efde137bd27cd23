// What a run's step 0 writes into the base model's KV cache before its first decision: the
// prompt, one entry per token, as always; then, for a later turn of a conversation, the
// earlier turns (each answer's groups as the entries decoding wrote, and each new user turn
// unmerged); then, for a fork, the original's groups. It is a list of base-forward calls:
// the decode loop replays them in order, each entry at the position of its last token, so
// a call that the original made is made again with the same inputs and shapes and writes
// the same KV rows (docs/engine.md, "Forks and conversations").
import type { GenerateRequest } from './api.js';
import type { ChatMessage, ChatTemplate } from './chatTemplate.js';
import { EngineError } from './errors.js';
import type { RunHistory, Turn } from './history.js';
import type { TextTokenizer } from './tokenizer.js';

export interface ContextEntry {
  tokenIds: number[];
  /** `prompt`: one token of text the run was given; `group`: a group an earlier decode smashed. */
  kind: 'prompt' | 'group';
  /** Where an earlier run put this group (a fork's recorded positions); absent: the run's convention places it. */
  positionId?: number;
}

/** One base-forward call's entries (HAMburger's base splits it after each longer group: BaseForward.runEntries). */
export type ReplayCall = ContextEntry[];

export interface RunContext {
  /** The whole context as the model sees it: rendered text, every token id. */
  rendered: string;
  tokenIds: number[];
  calls: ReplayCall[];
  /** Absent for a run of its prompt alone. */
  history: RunHistory | undefined;
  /** Tokens an earlier run generated that this one continues (a fork's groups): a sampled run's generator skips their draws. */
  replayedTokens: number;
}

export interface ContextSources {
  tokenizer: TextTokenizer;
  chatTemplate: ChatTemplate;
  stopIds: ReadonlySet<number>;
  vocabSize: number;
  /** Most tokens one group entry holds (max_steps). */
  maxGroup: number;
  /** False for decoders of one token per step (baseline mode): they see every earlier token unmerged. */
  composesGroups: boolean;
}

const singles = (ids: readonly number[]): ContextEntry[] => ids.map((id) => ({ tokenIds: [id], kind: 'prompt' }));

function checkGroups(groups: readonly number[][], field: string, code: 'invalid_fork' | 'invalid_turns', sources: ContextSources, stopAllowedAtEnd: boolean): void {
  const { vocabSize, maxGroup, stopIds } = sources;
  groups.forEach((group, g) => {
    if (group.length > maxGroup) {
      throw new EngineError(code, `${field}.${g} holds ${group.length} tokens; a group entry holds at most max_steps = ${maxGroup}`, { field: `${field}.${g}`, limit: `1..${maxGroup} tokens` });
    }
    group.forEach((id, t) => {
      if (id >= vocabSize) throw new EngineError(code, `${field}.${g}.${t} is token ${id}; the model's ids are 0..${vocabSize - 1}`, { field: `${field}.${g}.${t}`, limit: `0..${vocabSize - 1}` });
      const last = g === groups.length - 1 && t === group.length - 1;
      if (stopIds.has(id) && !(stopAllowedAtEnd && last)) {
        throw new EngineError(code, `${field}.${g}.${t} is a stop id (${id}): decoding ends there, nothing can follow it`, {
          field: `${field}.${g}.${t}`,
          limit: stopAllowedAtEnd ? 'a stop id only as the last token' : 'no stop ids',
        });
      }
    });
  });
}

/** The answer's text as the chat template renders it: its tokens decoded, special tokens (its stop id) left out. */
function answerText(turn: Turn, tokenizer: TextTokenizer): string {
  return tokenizer.decode(turn.answer.flat());
}

/**
 * The token ids of a conversation's turns: the first user turn as the prompt alone would be,
 * then per answer what the template puts after it: the new user turn and the prompt for the
 * next answer. An answer that ended by its stop id already holds the template's end of message.
 */
function conversation(turns: readonly Turn[], prompt: string, sources: ContextSources): { rendered: string; parts: { user: number[]; answer: number[][] }[]; last: number[] } {
  const { chatTemplate, tokenizer, stopIds } = sources;
  const messages: ChatMessage[] = [];
  let rendered = chatTemplate.renderMessages([{ role: 'user', content: turns[0]!.user }]);
  let userIds = tokenizer.encode(rendered);
  const parts: { user: number[]; answer: number[][] }[] = [];
  turns.forEach((turn, k) => {
    messages.push({ role: 'user', content: turn.user }, { role: 'assistant', content: answerText(turn, tokenizer) });
    const next = k + 1 < turns.length ? turns[k + 1]!.user : prompt;
    const full = chatTemplate.renderMessages([...messages, { role: 'user', content: next }]);
    const before = rendered + messages.at(-1)!.content;
    if (!full.startsWith(before)) {
      throw new EngineError('invalid_turns', `the chat template does not render turn ${k + 2} as a continuation of turn ${k + 1}'s answer, so its cache cannot be kept; use turnCache "unmerged"`, {
        field: 'turns',
      });
    }
    let continuation = full.slice(before.length);
    const lastId = turn.answer.at(-1)!.at(-1)!;
    const stopText = tokenizer.tokenText(lastId);
    if (stopIds.has(lastId) && continuation.startsWith(stopText)) continuation = continuation.slice(stopText.length);
    parts.push({ user: userIds, answer: turn.answer });
    userIds = tokenizer.encode(continuation);
    rendered = full;
  });
  return { rendered, parts, last: userIds };
}

/** The run's context and the calls that write it; bad forks and turns are refused by name. */
export function runContext(request: GenerateRequest, sources: ContextSources): RunContext {
  const { tokenizer, chatTemplate } = sources;
  const turns = request.turns ?? [];
  const fork = request.fork;
  if (turns.length > 0 && !request.chatTemplate) {
    throw new EngineError('invalid_turns', 'a conversation is rendered with the chat template: turns need chatTemplate true', { field: 'chatTemplate', limit: 'true with turns' });
  }
  turns.forEach((turn, k) => checkGroups(turn.answer, `turns.${k}.answer`, 'invalid_turns', sources, true));
  if (fork !== undefined) {
    checkGroups(fork.groups, 'fork.groups', 'invalid_fork', sources, false);
    if (fork.token !== undefined && fork.token >= sources.vocabSize) {
      throw new EngineError('invalid_fork', `fork.token is ${fork.token}; the model's ids are 0..${sources.vocabSize - 1}`, { field: 'fork.token', limit: `0..${sources.vocabSize - 1}` });
    }
    if (fork.token !== undefined && request.mode === 'verify') {
      throw new EngineError('invalid_fork', 'a forced token needs a mode that emits its own choices (hamburger or baseline); verify emits what the baseline keeps', { field: 'fork.token', limit: 'mode hamburger or baseline' });
    }
  }

  const calls: ReplayCall[] = [];
  const turnStarts: number[] = [];
  let entries = 0;
  const push = (call: ReplayCall): void => {
    calls.push(call);
    entries += call.length;
  };
  let rendered: string;
  const tokenIds: number[] = [];
  if (turns.length === 0) {
    rendered = request.chatTemplate ? chatTemplate.renderUserPrompt(request.prompt) : request.prompt;
    tokenIds.push(...tokenizer.encode(rendered));
    turnStarts.push(0);
    push(singles(tokenIds));
  } else {
    const talk = conversation(turns, request.prompt, sources);
    rendered = talk.rendered;
    // The first user turn is a prefill as turn 1's was; each answer group an entry as decoding
    // wrote it (one call per macro step), its last group with the next user turn after it.
    let pendingGroup: number[] | null = null;
    for (const part of [...talk.parts, { user: talk.last, answer: [] as number[][] }]) {
      turnStarts.push(entries + (pendingGroup === null ? 0 : 1));
      push([...(pendingGroup === null ? [] : [{ tokenIds: pendingGroup, kind: 'group' as const }]), ...singles(part.user)]);
      tokenIds.push(...(pendingGroup ?? []), ...part.user);
      part.answer.slice(0, -1).forEach((group) => {
        push([{ tokenIds: group, kind: 'group' }]);
        tokenIds.push(...group);
      });
      pendingGroup = part.answer.at(-1) ?? null;
    }
  }
  let forkStart: number | undefined;
  const forkCalls: ReplayCall[] = [];
  if (fork !== undefined) {
    forkStart = entries;
    if (fork.positions !== undefined && fork.positions.length !== fork.groups.length) {
      throw new EngineError('invalid_fork', `fork.positions holds ${fork.positions.length} positions for ${fork.groups.length} groups`, { field: 'fork.positions', limit: 'one position per group' });
    }
    fork.groups.forEach((group, g) => {
      tokenIds.push(...group);
      const positionId = fork.positions?.[g];
      const last = tokenIds.length - 1;
      // A group sits at its last token's index or one above (the two position conventions).
      if (positionId !== undefined && positionId !== last && positionId !== last + 1) {
        throw new EngineError('invalid_fork', `fork.positions.${g} is ${positionId}; group ${g} ends at the context's token ${last}, so it sat at ${last} or ${last + 1}`, {
          field: `fork.positions.${g}`,
          limit: `${last} or ${last + 1}`,
        });
      }
      forkCalls.push([{ tokenIds: group, kind: 'group', ...(positionId === undefined ? {} : { positionId }) }]);
    });
    forkCalls.forEach(push);
  }
  const unmergedTurns = turns.length > 0 && request.turnCache === 'unmerged';
  let replay = calls;
  if (!sources.composesGroups) replay = [singles(tokenIds)];
  else if (unmergedTurns) {
    // The conversation re-prefilled as a plain prompt of its tokens; a fork's groups still replay as groups.
    const conversationTokens = tokenIds.length - (fork?.groups.flat().length ?? 0);
    replay = [singles(tokenIds.slice(0, conversationTokens)), ...forkCalls];
  }
  const history: RunHistory | undefined =
    turns.length === 0 && fork === undefined
      ? undefined
      : {
          turns,
          turnCache: request.turnCache,
          turnStarts: replay === calls ? turnStarts : turnStartsUnmerged(calls, turnStarts),
          ...(fork === undefined ? {} : { fork }),
          // Unmerged, every entry before the fork's groups is one token.
          ...(forkStart === undefined ? {} : { forkStart: replay === calls ? forkStart : tokensBefore(calls, forkStart) }),
        };
  return { rendered: fork === undefined ? rendered : rendered + tokenizer.decode(fork.groups.flat()), tokenIds, calls: replay, history, replayedTokens: fork?.groups.flat().length ?? 0 };
}

/** Tokens in the entries before entry `index` of `calls`. */
function tokensBefore(calls: readonly ReplayCall[], index: number): number {
  return calls.flat().slice(0, index).reduce((sum, entry) => sum + entry.tokenIds.length, 0);
}

/** Each turn's first entry once its tokens are re-prefilled one entry per token. */
function turnStartsUnmerged(calls: readonly ReplayCall[], starts: readonly number[]): number[] {
  return starts.map((start) => tokensBefore(calls, start));
}

