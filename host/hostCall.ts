// A call from a UI, read once at the host's edge for both hosts (Electron IPC and the
// browser mode's WebSocket): untrusted input, so its nesting is bounded before anything
// walks it (a 50,000-deep object overflows the stack of a recursive reader, such as the
// structured clone that carries a request to the engine's worker), then the schema names
// the field at fault and the limit it broke.
import type { z } from 'zod';
import { hostCallSchema, MAX_CALL_DEPTH } from './protocol.js';
import { EngineError } from '../engine/errors.js';

export type ParsedHostCall = z.output<typeof hostCallSchema>;

/** True when `value` nests arrays or objects deeper than `maxDepth` (walked without recursion). */
export function nestsDeeperThan(value: unknown, maxDepth: number): boolean {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: item, depth } = stack.pop()!;
    if (typeof item !== 'object' || item === null) continue;
    if (depth + 1 > maxDepth) return true;
    for (const child of Object.values(item)) stack.push({ value: child, depth: depth + 1 });
  }
  return false;
}

export function parseHostCall(raw: unknown): ParsedHostCall {
  if (nestsDeeperThan(raw, MAX_CALL_DEPTH)) {
    throw new EngineError('invalid_request', `bad call: nested more than ${MAX_CALL_DEPTH} levels deep`, { limit: `<= ${MAX_CALL_DEPTH} levels of nesting` });
  }
  const parsed = hostCallSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.join('.');
  const details: { field?: string; limit?: string } = {};
  if (field !== '') details.field = field;
  if (issue.code === 'too_big') details.limit = `<= ${String(issue.maximum)}`;
  throw new EngineError('invalid_request', `bad call: ${field === '' ? '' : `${field}: `}${issue.message}`, details);
}
