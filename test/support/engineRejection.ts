// The EngineError a promise rejects with, or a call throws; the test fails if it succeeds or
// fails with anything else.
import { expect } from 'vitest';
import { EngineError } from '../../engine/errors.js';

export async function engineRejection(promise: Promise<unknown>): Promise<EngineError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EngineError);
  return error as EngineError;
}

export function engineThrow(call: () => unknown): EngineError {
  let error: unknown = null;
  try {
    call();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(EngineError);
  return error as EngineError;
}
