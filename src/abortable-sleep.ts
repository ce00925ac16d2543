/**
 * A wait of `ms` that ends early when `signal` aborts. Its 'abort' listener is removed when the wait ends
 * either way, so a loop that waits on one long-lived signal (a forwarder's poll, a retry's backoff) adds
 * no listener per wait.
 */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
