/**
 * Waits on one long-lived AbortSignal remove their 'abort' listener when they end (src/abortable-sleep.ts):
 * `auditql start` with a forwarder beside the demo printed MaxListenersExceededWarning once the
 * forwarder's idle poll had waited 11 times on its signal.
 */
import { getEventListeners } from 'node:events';
import { expect, it } from 'vitest';
import { abortableSleep } from '../../src/abortable-sleep.js';
import { Forwarder, type ForwarderOptions } from '../../src/siem/forward/forwarder.js';

const WAITS = 200;

it('abortableSleep leaves no listener behind, and an abort still ends a wait at once', async () => {
  const c = new AbortController();
  for (let i = 0; i < WAITS; i++) await abortableSleep(0, c.signal);
  expect(getEventListeners(c.signal, 'abort')).toHaveLength(0);
  const long = abortableSleep(60_000, c.signal);
  expect(getEventListeners(c.signal, 'abort')).toHaveLength(1);
  c.abort();
  await long;
  expect(getEventListeners(c.signal, 'abort')).toHaveLength(0);
});

it("a forwarder's poll wait, looped on its one signal, keeps at most one listener", async () => {
  // only the wait is exercised: no warehouse, destination or feed is touched
  const f = new Forwarder({ name: 'idle' } as ForwarderOptions);
  const internals = f as unknown as { abort: AbortController; sleep(ms: number): Promise<void> };
  for (let i = 0; i < WAITS; i++) {
    await internals.sleep(0);
    expect(getEventListeners(internals.abort.signal, 'abort').length).toBeLessThanOrEqual(1);
  }
  expect(getEventListeners(internals.abort.signal, 'abort')).toHaveLength(0);
});
