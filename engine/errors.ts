import type { EngineErrorCode, EngineErrorInfo } from './api.js';

export interface EngineErrorDetails {
  field?: string;
  limit?: string;
  cause?: unknown;
}

/** Every failure the engine reports on purpose: a code the UI can switch on, the field at fault, the limit broken. */
export class EngineError extends Error {
  readonly code: EngineErrorCode;
  readonly field: string | undefined;
  readonly limit: string | undefined;

  constructor(code: EngineErrorCode, message: string, details: EngineErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'EngineError';
    this.code = code;
    this.field = details.field;
    this.limit = details.limit;
  }

  toInfo(): EngineErrorInfo {
    const info: EngineErrorInfo = { code: this.code, message: this.message };
    if (this.field !== undefined) info.field = this.field;
    if (this.limit !== undefined) info.limit = this.limit;
    return info;
  }
}

/** Any thrown value as a serialisable error; unexpected ones become `internal`. */
export function toErrorInfo(error: unknown): EngineErrorInfo {
  if (error instanceof EngineError) return error.toInfo();
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'internal', message };
}
