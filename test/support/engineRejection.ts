// The EngineError a promise rejects with; the test fails if it resolves or throws anything else.
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
