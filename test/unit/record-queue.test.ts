/**
 * The sources' bounded hand-over (src/sources/record-queue.ts), both ways a writer meets a full queue —
 * `push` waits (PostgreSQL), `offer` refuses and `space()` waits (Kafka) — and the three ways it ends.
 * The sources' integration tests (kafka-source, postgres-capture) cover it under a real pipeline.
 */
import { describe, expect, it } from 'vitest';
import { RecordQueue } from '../../src/sources/record-queue.js';

/** Take `n` items from a drain (without ending it). */
async function take<T>(it: AsyncGenerator<T>, n: number): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i++) {
    const r = await it.next();
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

/** Whether `p` has settled after the microtasks queued so far (and one macrotask). */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true), () => (done = true));
  await new Promise((r) => setImmediate(r));
  return done;
}

describe('RecordQueue', () => {
  it('refuses a capacity that is not a positive integer', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => new RecordQueue(bad)).toThrow(RangeError);
  });

  it('offer refuses when full; space() resolves once the reader took one; onLow once drained to lowWater', async () => {
    let lows = 0;
    const q = new RecordQueue<number>(4, { onLow: () => lows++ });
    expect(q.lowWater).toBe(2);
    for (let i = 1; i <= 4; i++) expect(q.offer(i)).toBe(true);
    expect(q.isFull).toBe(true);
    expect(q.offer(5)).toBe(false);
    const room = q.space();
    expect(await settled(room)).toBe(false);
    const reader = q.drain();
    expect(await take(reader, 1)).toEqual([1]);
    expect(await settled(room)).toBe(true);
    expect(lows).toBe(0);
    expect(await take(reader, 1)).toEqual([2]);
    expect(lows).toBe(1);
    expect(await take(reader, 2)).toEqual([3, 4]);
    expect(lows).toBe(1); // once per filling up
  });

  it('push waits for room and then asks stillWanted', async () => {
    const q = new RecordQueue<string>(1);
    expect(await q.push('a')).toBe(true);
    const b = q.push('b', () => true);
    const c = q.push('c', () => false);
    expect(await settled(b)).toBe(false);
    const reader = q.drain();
    expect(await take(reader, 1)).toEqual(['a']);
    expect(await b).toBe(true); // the first waiter gets the room…
    expect(await take(reader, 1)).toEqual(['b']);
    expect(await c).toBe(false); // …and a record no longer wanted is not queued
    expect(q.size).toBe(0);
  });

  it('close(): the reader takes what is queued, then ends; waiting writers are released', async () => {
    const q = new RecordQueue<number>(2);
    q.offer(1);
    q.offer(2);
    const waiting = q.push(3);
    const room = q.space();
    q.close();
    expect(await waiting).toBe(false);
    await room;
    expect(() => q.offer(4)).toThrow(/closed/);
    const all: number[] = [];
    for await (const n of q.drain()) all.push(n);
    expect(all).toEqual([1, 2]);
  });

  it('discard(): the reader ends at its next step, queued records dropped', async () => {
    const q = new RecordQueue<number>(3);
    q.offer(1);
    q.offer(2);
    const reader = q.drain();
    expect(await take(reader, 1)).toEqual([1]);
    q.discard();
    expect(await reader.next()).toEqual({ value: undefined, done: true });
    expect(await q.push(3)).toBe(false);
  });

  it('fail(): a waiting reader throws the first error; queued records are dropped', async () => {
    const q = new RecordQueue<number>(3);
    const reader = q.drain();
    const next = reader.next();
    q.offer(1);
    expect(await next).toEqual({ value: 1, done: false });
    const failed = reader.next();
    q.offer(2);
    q.fail(new Error('first'));
    q.fail(new Error('second'));
    expect(q.size).toBe(0);
    // The reader had been woken by the offer, but the failure is checked before the queue.
    await expect(failed).rejects.toThrow('first');
  });

  it('keeps order across many items (taking from the front by index, compacting)', async () => {
    const q = new RecordQueue<number>(5000);
    const n = 4000;
    for (let i = 0; i < n; i++) q.offer(i);
    q.close();
    const all: number[] = [];
    for await (const v of q.drain()) all.push(v);
    expect(all).toEqual(Array.from({ length: n }, (_, i) => i));
  });
});
