/** Which errors are waited out, how long between attempts, and when waiting ends (src/retry-policy.ts). */
import { describe, expect, it } from 'vitest';
import { AuditqlError, ErrorCode } from '../../src/errors.js';
import { backoff, isTransient, waitOut } from '../../src/retry-policy.js';

const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isTransient', () => {
  it.each([
    ['admin shutdown', pgError('57P01', 'terminating connection due to administrator command')],
    ['crash shutdown', pgError('57P02')],
    ['starting up', pgError('57P03', 'the database system is starting up')],
    ['connection exception class 08', pgError('08006')],
    ['too many connections', pgError('53300')],
    ['serialization failure', pgError('40001')],
    ['refused', pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1')],
    ['reset', pgError('ECONNRESET', 'read ECONNRESET')],
    ['broken pipe', pgError('EPIPE')],
    ['timed out', pgError('ETIMEDOUT')],
    ['terminated', new Error('Connection terminated unexpectedly')],
    ['shutting down, by message', new Error('the database system is shutting down')],
    ['every address refused', new AggregateError([pgError('ECONNREFUSED'), pgError('ECONNREFUSED')], '')],
    ['ours, wrapping a transient one', new AuditqlError(ErrorCode.WAREHOUSE_UNAVAILABLE, 'cannot reach', { cause: pgError('ECONNREFUSED') })],
  ])('%s: transient', (_, err) => expect(isTransient(err)).toBe(true));

  it.each([
    ['wrong password', pgError('28P01', 'password authentication failed for user "x"')],
    ['no such database', pgError('3D000', 'database "none" does not exist')],
    ['unique violation', pgError('23505')],
    ['disk full', pgError('53100', 'could not extend file: No space left on device')],
    ['a bug', new TypeError('cannot read properties of undefined')],
    ['ours, wrapping a permanent one', new AuditqlError(ErrorCode.WAREHOUSE_UNAVAILABLE, 'cannot reach', { cause: pgError('28P01') })],
    ['not an error', 'ECONNREFUSED'],
  ])('%s: not transient', (_, err) => expect(isTransient(err)).toBe(false));
});

describe('backoff', () => {
  it('doubles from 250 ms up to 30 s, jittered within the upper half of each step', () => {
    expect([1, 2, 3, 8, 20].map((a) => backoff(a, { random: () => 1 }))).toEqual([250, 500, 1000, 30_000, 30_000]);
    expect([1, 2, 3, 8, 20].map((a) => backoff(a, { random: () => 0 }))).toEqual([125, 250, 500, 15_000, 15_000]);
    expect(backoff(3, { initialMs: 1000, maxMs: 3000, random: () => 1 })).toBe(3000);
  });
});

describe('waitOut', () => {
  it('retries a transient failure until it succeeds, saying once that it waits and once that it is back', async () => {
    let calls = 0;
    const lines: string[] = [];
    const r = await waitOut(async () => {
      if (++calls < 3) throw pgError('57P03', 'the database system is starting up');
      return 'ok';
    }, { what: 'the warehouse', policy: { limitMs: 60_000 }, log: (l) => lines.push(l) });
    expect(r).toBe('ok');
    expect(calls).toBe(3);
    expect(lines).toEqual([
      'the warehouse is unreachable: the database system is starting up [57P03]; retrying with backoff for up to 60 s',
      expect.stringMatching(/^the warehouse is reachable again after \d+ s; resuming$/),
    ]);
  });

  it('throws a permanent error at once', async () => {
    let calls = 0;
    const err = pgError('28P01');
    await expect(waitOut(async () => { calls++; throw err; }, { what: 'the warehouse', policy: { limitMs: 60_000 } })).rejects.toBe(err);
    expect(calls).toBe(1);
  });

  it('gives up after the limit with one sentence and the code asked for', async () => {
    const started = Date.now();
    const p = waitOut(async () => { throw pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1'); },
      { what: 'the source database at postgres://h/db', policy: { limitMs: 600 }, code: ErrorCode.SOURCE_UNAVAILABLE });
    await expect(p).rejects.toMatchObject({
      code: ErrorCode.SOURCE_UNAVAILABLE,
      message: 'the source database at postgres://h/db is unreachable: connect ECONNREFUSED 127.0.0.1:1; gave up after 1 s (AUDITQL_OUTAGE_LIMIT_S)',
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
  });

  it('with a limit of 0, fails at the first transient error, keeping our own message as it is', async () => {
    const ours = new AuditqlError(ErrorCode.WAREHOUSE_UNAVAILABLE, 'cannot reach the warehouse at postgres://h/db: refused', { cause: pgError('ECONNREFUSED') });
    await expect(waitOut(async () => { throw ours; }, { what: 'the warehouse', policy: { limitMs: 0 } })).rejects.toBe(ours);
  });

  it('stops waiting when aborted', async () => {
    const ac = new AbortController();
    let calls = 0;
    const p = waitOut(async () => { calls++; if (calls === 2) ac.abort(); throw pgError('ECONNRESET'); },
      { what: 'the warehouse', policy: { limitMs: Number.POSITIVE_INFINITY }, signal: ac.signal });
    await expect(p).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(calls).toBe(2);
  });
});
