/**
 * The ledger from the built CLI, as an operator runs it: keygen, a finite ingest that seals a checkpoint
 * before it exits, verify (exit 0, then exit 1 naming the seq after a superuser edit), checkpoints export
 * and verify-proof with nothing but the public key and the saved checkpoint.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../helpers/db.js';
import { inclusionProof } from '../../src/warehouse/ledger/proofs.js';
import { proofNode } from '../../src/graphql/ledger/ledger-nodes.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = `${ROOT}bin/auditql.js`;
const FIXTURE = `${ROOT}test/fixtures/maxwell/dml-all-optional-fields.jsonl`;
const dir = mkdtempSync(join(tmpdir(), 'auditql-ledger-'));
const KEY = join(dir, 'ledger.key');

let db: Awaited<ReturnType<typeof createDatabase>>;
beforeAll(async () => { db = await createDatabase('ledgercli'); });
afterAll(async () => { await db?.drop(); });

async function auditql(args: string[], env: Record<string, string> = {}) {
  try {
    const r = await run(process.execPath, [BIN, ...args], { env: { ...process.env, DATABASE_URL: db.url, AUDITQL_SIGNING_KEY: KEY, ...env }, cwd: ROOT });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('auditql ledger commands (built)', () => {
  it('keygen, ingest (sealed at exit), verify, export, verify-proof, and a tampered row named by its seq', async () => {
    const k = await auditql(['keygen', KEY, '--name', 'auditql.test/cli'], { AUDITQL_SIGNING_KEY: '' });
    expect(k.code, k.stderr).toBe(0);
    expect(statSync(KEY).mode & 0o777).toBe(0o600);
    expect((await auditql(['keygen', KEY], { AUDITQL_SIGNING_KEY: '' })).code).toBe(2); // never overwritten

    const ingest = await auditql(['ingest', '--from', 'file', '--format', 'maxwell', '--json', FIXTURE]);
    expect(ingest.code, ingest.stderr).toBe(0);
    const stored = JSON.parse(ingest.stdout).stored as number;
    expect(stored).toBeGreaterThan(0);

    const ok = await auditql(['verify', '--json', '--public-key', `${KEY}.pub`], { AUDITQL_SIGNING_KEY: '' });
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    const report = JSON.parse(ok.stdout);
    expect(report).toMatchObject({ intact: true, unsealed: 0, divergenceCount: 0 });
    expect(report.latestCheckpoint.size).toBe(report.treeSize);

    const saved = join(dir, 'latest.checkpoint');
    expect((await auditql(['checkpoints', 'export', '--latest', '--out', saved])).code).toBe(0);

    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      const seq = (await c.query(`select seq::text from auditql.changes order by seq limit 1`)).rows[0].seq as string;
      const pool = new pg.Pool({ connectionString: db.url, max: 2 });
      const proof = proofNode((await inclusionProof(pool, seq))!);
      await pool.end();
      const proofFile = join(dir, 'proof.json');
      writeFileSync(proofFile, JSON.stringify({ data: { change: { proof } } }));
      const vp = await auditql(['verify-proof', '--public-key', `${KEY}.pub`, '--checkpoint', saved, proofFile], { DATABASE_URL: '', AUDITQL_SIGNING_KEY: '' });
      expect(vp.code, vp.stdout + vp.stderr).toBe(0);
      expect(vp.stdout).toMatch(/^ok: leaf \d+ is in the tree of size \d+ signed by auditql\.test\/cli/);
      writeFileSync(proofFile, JSON.stringify({ ...proof, leafIndex: proof.leafIndex === 0 ? 1 : 0 }));
      expect((await auditql(['verify-proof', '--public-key', `${KEY}.pub`, proofFile], { AUDITQL_SIGNING_KEY: '' })).code).toBe(1);

      await c.query(`update auditql.changes set table_name = 'elsewhere' where seq = $1`, [seq]);
      const bad = await auditql(['verify', '--checkpoint', saved]);
      expect(bad.code).toBe(1);
      expect(bad.stdout).toContain(`ROW_ALTERED at seq ${seq}`);
      expect(bad.stdout).toContain('NOT intact');
    } finally {
      await c.end();
    }
  });
});
