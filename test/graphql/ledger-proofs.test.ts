/**
 * Change.proof, Activity.proof, Query.consistencyProof and Subscription.checkpointAdded over the real
 * server, and GET /ledger/public-key. Every proof is checked by an RFC 9162 verifier written here from the
 * RFC with node:crypto (sections 2.1.3.2 and 2.1.4.2), not by the product's own, and against the root of
 * the checkpoint verified here with the public key the server publishes.
 */
import { createHash, createPublicKey, verify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, postGraphql, type TestApi } from './helpers.js';
import { connect, subscribe } from '../helpers/graphql-ws-client.js';
import { until } from '../helpers/until.js';
import { mkActivity, mkChange, NEW_DAY, seedLedger, type Seeded } from '../helpers/ledger-seed.js';
import { publicKeyRouter } from '../../src/graphql/ledger/public-key-route.js';

// ---- an independent RFC 9162 verifier ----
const sha = (...parts: Buffer[]) => { const h = createHash('sha256'); for (const p of parts) h.update(p); return h.digest(); };
const node = (l: Buffer, r: Buffer) => sha(Buffer.from([1]), l, r);

function inclusionRoot(index: number, size: number, leaf: Buffer, path: Buffer[]): Buffer | null {
  if (index >= size) return null;
  let fn = index, sn = size - 1, r = leaf;
  for (const p of path) {
    if (sn === 0) return null;
    if ((fn & 1) === 1 || fn === sn) {
      r = node(p, r);
      if ((fn & 1) === 0) while ((fn & 1) === 0 && fn !== 0) { fn >>= 1; sn >>= 1; }
    } else r = node(r, p);
    fn >>= 1; sn >>= 1;
  }
  return sn === 0 ? r : null;
}

function consistent(first: number, second: number, firstRoot: Buffer, secondRoot: Buffer, proof: Buffer[]): boolean {
  if (first === second) return proof.length === 0 && firstRoot.equals(secondRoot);
  if (proof.length === 0) return false;
  const path = (first & (first - 1)) === 0 ? [firstRoot, ...proof] : proof;
  let fn = first - 1, sn = second - 1;
  while ((fn & 1) === 1) { fn >>= 1; sn >>= 1; }
  let fr = path[0]!, sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if ((fn & 1) === 1 || fn === sn) {
      fr = node(c, fr); sr = node(c, sr);
      if ((fn & 1) === 0) while ((fn & 1) === 0 && fn !== 0) { fn >>= 1; sn >>= 1; }
    } else sr = node(sr, c);
    fn >>= 1; sn >>= 1;
  }
  return sn === 0 && fr.equals(firstRoot) && sr.equals(secondRoot);
}

/** C2SP signed-note checkpoint, verified with a vkey `<name>+<id>+<base64(0x01 ‖ key)>`; returns [size, root]. */
function openCheckpoint(note: string, vkey: string): [number, Buffer] {
  const [name, id, ...rest] = vkey.trim().split('+') as [string, string, ...string[]];
  const b64 = rest.join('+'); // base64 may hold '+'
  const pub = Buffer.from(b64, 'base64').subarray(1);
  expect(sha(Buffer.from(name), Buffer.from([0x0a, 0x01]), pub).subarray(0, 4).toString('hex')).toBe(id);
  const cut = note.lastIndexOf('\n\n');
  const text = note.slice(0, cut + 1);
  const [, keyName, sig] = /^— (\S+) (\S+)$/u.exec(note.slice(cut + 2, -1))!;
  expect(keyName).toBe(name);
  const raw = Buffer.from(sig!, 'base64');
  expect(raw.subarray(0, 4).toString('hex')).toBe(id);
  const key = createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), pub]), format: 'der', type: 'spki' });
  expect(verify(null, Buffer.from(text), key, raw.subarray(4))).toBe(true);
  const lines = text.split('\n');
  return [Number(lines[1]), Buffer.from(lines[2]!, 'base64')];
}

let s: Seeded;
let t: TestApi;
let vkey: string;
beforeAll(async () => {
  s = await seedLedger();
  // enough leaves for stored subtrees (2^8) to be used by the proofs
  for (let b = 0; b < 3; b++) {
    await s.write(Array.from({ length: 120 }, (_, i) => i % 3 ? mkChange(`bulk${b}-${i}`, NEW_DAY, 100 + b * 200 + i) : mkActivity(`bulka${b}-${i}`, NEW_DAY, 'eve')));
  }
  await s.sink.ledger.seal();
  t = await startTestApi({ warehouse: s.w, routes: [() => publicKeyRouter(s.signer)] });
  vkey = await (await fetch(t.url.replace(/\/graphql$/, '/ledger/public-key'))).text();
});
afterAll(async () => { await t.close(); });

const b = (x: string) => Buffer.from(x, 'base64');

describe('ledger proofs over GraphQL', () => {
  it('publishes the public key as a signed-note verifier key', () => {
    expect(vkey).toMatch(/^auditql\.test\/ledger\+[0-9a-f]{8}\+[A-Za-z0-9+/]+=*\n$/);
  });

  it('proves changes and activity in the latest signed checkpoint', async () => {
    const r = await postGraphql<{ changes: { edges: { node: { id: string; proof: any } }[] }; activity: { edges: { node: { id: string; proof: any } }[] } }>(t.url,
      `{ changes(first: 50) { edges { node { id proof { leafIndex treeSize leafHash auditPath checkpoint { treeSize rootHash note } } } } }
         activity(first: 50) { edges { node { id proof { leafIndex treeSize leafHash auditPath checkpoint { treeSize rootHash note } } } } } }`);
    expect(r.errors).toBeUndefined();
    const proofs = [...r.data!.changes.edges, ...r.data!.activity.edges].map((e) => e.node.proof);
    expect(proofs.length).toBeGreaterThan(50);
    const seen = new Set<number>();
    for (const p of proofs) {
      const [size, root] = openCheckpoint(p.checkpoint.note, vkey);
      expect(size).toBe(p.treeSize);
      expect(b(p.checkpoint.rootHash).equals(root)).toBe(true);
      expect(inclusionRoot(p.leafIndex, p.treeSize, b(p.leafHash), p.auditPath.map(b))?.equals(root)).toBe(true);
      // a different leaf does not lead to the root
      expect(inclusionRoot(p.leafIndex, p.treeSize, sha(Buffer.from('forged')), p.auditPath.map(b))?.equals(root) ?? false).toBe(false);
      seen.add(p.leafIndex);
    }
    expect(seen.size).toBe(proofs.length);
    // and the leaf hash is SHA-256(0x00 ‖ the row's canonical bytes), recomputed here from the row
    const id = r.data!.changes.edges[0]!.node.id;
    const { canonicalTextSql, LEAF_TABLES } = await import('../../src/warehouse/ledger/canonical.js');
    const row = (await s.w.pool.query(`select ${canonicalTextSql(LEAF_TABLES[0]!, 'r')} as t from auditql.changes r where r.seq = $1`, [id])).rows[0].t as string;
    expect(sha(Buffer.from([0]), Buffer.from(row, 'utf8')).toString('base64')).toBe(r.data!.changes.edges[0]!.node.proof.leafHash);
    expect(JSON.parse(row).slice(0, 3)).toEqual(['auditql-leaf/1', 'changes', Number(id)]);
  });

  it('proves every pair of checkpoints consistent, and refuses sizes the log does not have', async () => {
    const cps = (await s.w.pool.query('select tree_size::int as n from auditql.ledger_checkpoints order by tree_size')).rows.map((x) => x.n as number);
    expect(cps.length).toBeGreaterThan(3);
    for (const from of cps) {
      for (const to of cps.filter((x) => x >= from)) {
        const r = await postGraphql<{ consistencyProof: { fromSize: number; toSize: number; proof: string[]; fromCheckpoint: { note: string }; toCheckpoint: { note: string } } }>(t.url,
          `query($f: Int!, $t: Int!) { consistencyProof(fromSize: $f, toSize: $t) { fromSize toSize proof fromCheckpoint { note } toCheckpoint { note } } }`, { f: from, t: to });
        const p = r.data!.consistencyProof;
        const [, r1] = openCheckpoint(p.fromCheckpoint.note, vkey);
        const [, r2] = openCheckpoint(p.toCheckpoint.note, vkey);
        expect(consistent(from, to, r1, r2, p.proof.map(b)), `${from} → ${to}`).toBe(true);
        if (from < to) expect(consistent(from, to, sha(Buffer.from('x')), r2, p.proof.map(b))).toBe(false);
      }
    }
    const bad = await postGraphql(t.url, `{ consistencyProof(fromSize: 1, toSize: 100000) { toSize } }`);
    expect(bad.errors?.[0]?.extensions?.code).toBe('AUDITQL_BAD_INPUT');
  });

  it('sends each new checkpoint to checkpointAdded subscribers, after replaying the ones since `after`', async () => {
    const first = (await s.w.pool.query('select min(tree_size)::int as n from auditql.ledger_checkpoints')).rows[0].n as number;
    const before = (await s.w.pool.query('select count(*)::int as n from auditql.ledger_checkpoints where tree_size > $1', [first])).rows[0].n as number;
    const { client } = connect(t.url);
    const sub = subscribe<{ checkpointAdded: { treeSize: number; note: string } }>(client, `subscription($a: Int) { checkpointAdded(after: $a) { treeSize note } }`, { a: first });
    await until('the replayed checkpoints', () => sub.results.length === before);
    await s.write([mkChange('live1', NEW_DAY, 9999)]);
    // the batch's follower also logs this server's API access records, and may seal already (every 5 leaves)
    await s.sink.ledger.seal();
    const sealed = (await s.w.pool.query('select max(tree_size)::int as n from auditql.ledger_checkpoints')).rows[0].n as number;
    const live = (await s.w.pool.query('select count(*)::int as n from auditql.ledger_checkpoints where tree_size > $1', [first])).rows[0].n as number;
    expect(live).toBeGreaterThan(before);
    await until('the live checkpoints', () => sub.results.length === live);
    const got = sub.results.map((x) => x.data!.checkpointAdded.treeSize);
    expect(got.at(-1)).toBe(sealed);
    expect(new Set(got).size).toBe(got.length);
    expect(openCheckpoint(sub.results.at(-1)!.data!.checkpointAdded.note, vkey)[0]).toBe(sealed);
    sub.dispose();
    await client.dispose();
  });
});
