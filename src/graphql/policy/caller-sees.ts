/**
 * A SIEM mapping's input as the caller's role sees it, for the `ocsf` and `ecs` fields: their root node is
 * unmasked (enforce-policy.ts masks field values, not roots), so the whole event is masked before mapping.
 */
import { AuditqlError, ErrorCode } from '../../errors.js';
import { maskedInput } from '../../siem/masked-input.js';
import type { SiemInput } from '../../siem/siem-input.js';
import type { ApiContext } from '../context.js';
import { viewOf } from './view-of.js';

export function callerSees(i: SiemInput, ctx: ApiContext): SiemInput {
  const seen = maskedInput(viewOf(ctx), i);
  // Out-of-scope nodes are dropped by their parent first; refuse rather than map one unmasked.
  if (!seen) throw new AuditqlError(ErrorCode.FORBIDDEN, 'the event is outside the role\'s table scope');
  return seen;
}
