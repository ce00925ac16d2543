import type { DecodeContext } from './decoder.js';

export const DEFAULT_CONTEXT_PREFIX = 'auditql';

export function decodeContext(overrides: Partial<DecodeContext> = {}): DecodeContext {
  return Object.freeze({ keyColumns: new Map(), contextPrefix: DEFAULT_CONTEXT_PREFIX, ...overrides });
}
