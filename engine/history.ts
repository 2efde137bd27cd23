// What a run may start after, beyond its prompt (docs/engine.md, "Forks and conversations"):
// a recorded prefix of an earlier run's groups (a fork from one of its steps), and the earlier
// turns of a conversation. The request fields, and what a run's `started` event and trace
// record of them. Browser-safe: api.ts builds the request and trace schemas from these.
import { z } from 'zod';

/** Most groups a fork replays, and most earlier turns a conversation carries. */
export const MAX_FORK_GROUPS = 4096;
export const MAX_TURNS = 64;

const tokenIdSchema = (what: string) =>
  z.number({ error: () => `${what} must be a token id (a whole number)` }).int({ error: () => `${what} must be a token id (a whole number)` }).min(0, { error: () => `${what} must be a token id >= 0` });

/** Token groups, one KV entry each: what a run's macro steps fed back, in order. */
const groupsSchema = (what: string) =>
  z
    .array(z.array(tokenIdSchema(`${what} entries`), { error: () => `${what} must hold arrays of token ids` }).min(1, { error: () => `${what} must not hold an empty group` }), {
      error: () => `${what} must be an array of token groups`,
    })
    .max(MAX_FORK_GROUPS, { error: () => `${what} holds at most ${MAX_FORK_GROUPS} groups` });

/**
 * A fork: the run first replays an earlier run's groups after the prompt (its macro steps
 * 0..k-1), each through the base forward at the position the original used, then decides on
 * with its own settings. `token`: the continuation's first token, whatever the model says.
 */
export const forkRequestSchema = z
  .object({
    groups: groupsSchema('fork.groups'),
    token: tokenIdSchema('fork.token').optional(),
    /**
     * Where the original put each group (its entries' positionIds); a fork that changes the
     * position convention still rebuilds the original's cache. Default: where this run's
     * convention puts them.
     */
    positions: z
      .array(z.number({ error: () => 'fork.positions must hold positions' }).int({ error: () => 'fork.positions must hold whole numbers' }).min(0, { error: () => 'fork.positions must be >= 0' }), {
        error: () => 'fork.positions must be an array of positions, one per group',
      })
      .max(MAX_FORK_GROUPS, { error: () => `fork.positions holds at most ${MAX_FORK_GROUPS} positions` })
      .optional(),
    /** The original's step the fork continues from, as the views name it (the engine replays `groups`). */
    fromStep: z.number({ error: () => 'fork.fromStep must be a number' }).int({ error: () => 'fork.fromStep must be a whole number' }).min(0, { error: () => 'fork.fromStep must be >= 0' }).optional(),
  })
  .strict();
export type ForkRequest = z.infer<typeof forkRequestSchema>;

/** One earlier turn of a conversation: the user's message and the answer's groups as decoded (one KV entry each). */
export const turnSchema = z
  .object({
    user: z.string({ error: () => 'turns[].user must be a string' }).min(1, { error: () => 'turns[].user must not be empty' }),
    answer: groupsSchema('turns[].answer').min(1, { error: () => 'turns[].answer must hold at least one group' }),
  })
  .strict();
export type Turn = z.infer<typeof turnSchema>;

export const turnsSchema = z.array(turnSchema, { error: () => 'turns must be an array of {user, answer}' }).max(MAX_TURNS, { error: () => `turns holds at most ${MAX_TURNS} earlier turns` });

/**
 * How earlier turns enter the cache: `smashed` keeps each answer's entries as decoding wrote
 * them; `unmerged` re-prefills the whole conversation one entry per token (for comparison).
 */
export const TURN_CACHES = ['smashed', 'unmerged'] as const;
export const turnCacheSchema = z.enum(TURN_CACHES, { error: () => `turnCache must be one of: ${TURN_CACHES.join(', ')}` });
export type TurnCache = z.infer<typeof turnCacheSchema>;

/** What a run started after, as its `started` event and trace record it (absent: the prompt alone). */
export const runHistorySchema = z.object({
  turns: z.array(z.object({ user: z.string(), answer: z.array(z.array(z.number())) })),
  turnCache: turnCacheSchema,
  /** Index of the first KV entry of each user turn among step 0's entries: turn 1 first, this run's turn last. */
  turnStarts: z.array(z.number()),
  fork: z.object({ groups: z.array(z.array(z.number())), token: z.number().optional(), positions: z.array(z.number()).optional(), fromStep: z.number().optional() }).optional(),
  /** Index of the first KV entry the fork replayed (its shared prefix's first group); absent without a fork. */
  forkStart: z.number().optional(),
});
export type RunHistory = z.infer<typeof runHistorySchema>;
