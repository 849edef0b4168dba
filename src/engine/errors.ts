/** Typed errors: each carries a code from the protocol and a message meant for the user. */
import type { ErrorCode, ErrorPayload } from '../protocol/types';

export class FeatureVisError extends Error {
  constructor(readonly code: ErrorCode, message: string, readonly details: Omit<ErrorPayload, 'code' | 'message'> = {}) {
    super(message);
  }

  toPayload(): ErrorPayload {
    return { code: this.code, message: this.message, ...this.details };
  }
}

export const invalidParams = (message: string) => new FeatureVisError('InvalidParams', message);
export const invalidInput = (message: string) => new FeatureVisError('InvalidInput', message);
export const cancelled = () => new FeatureVisError('Cancelled', 'cancelled');
