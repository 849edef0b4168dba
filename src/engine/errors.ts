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
/**
 * A parameter at fault: `reason` is worded without any front end's syntax ("is required: the representation to
 * invert"), and the CLI (`--layer …`) and the panel (its control's label) each put the name in front.
 */
export const paramError = (param: string, reason: string, message = `${param} ${reason}`) =>
  new FeatureVisError('InvalidParams', message, { param, reason });
export const invalidInput = (message: string) => new FeatureVisError('InvalidInput', message);
export const cancelled = () => new FeatureVisError('Cancelled', 'cancelled');
