/**
 * `GET /ledger/public-key`: the key checkpoints are verified with, as a signed-note verifier key
 * (`<name>+<key id>+<base64>`, what `auditql keygen` wrote to FILE.pub), text/plain. 404 when this server
 * has no AUDITQL_SIGNING_KEY. Fetch it once and keep it: a key served by the system being audited proves
 * nothing by itself (docs/ledger.md "Keys").
 */
import express from 'express';
import { encodeVerifierKey, type Verifier } from '../../warehouse/ledger/signed-note.js';

export const PUBLIC_KEY_PATH = '/ledger/public-key';

export function publicKeyRouter(key: Verifier | null): express.Router {
  const r = express.Router();
  r.get(PUBLIC_KEY_PATH, (_req, res) => {
    if (!key) {
      res.status(404).type('text/plain').send('no signing key is configured (AUDITQL_SIGNING_KEY)\n');
      return;
    }
    res.type('text/plain').send(encodeVerifierKey(key) + '\n');
  });
  return r;
}
