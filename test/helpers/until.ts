/** Readiness by polling, never by sleeping a fixed time (docs/contributing.md "Tests": wait on events, never on time). */

/**
 * Resolves as soon as `cond` holds, checking every 10 ms; throws naming `what` after `ms`. The default is
 * generous because the machine is shared: a passing test waits only as long as it must.
 */
export async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Probes until `check` holds on what `probe` returned, and returns that; the failure says what was last
 * seen. Every 50 ms, since a probe is usually a query (the warehouse is written asynchronously).
 */
export async function probeUntil<T>(what: string, probe: () => Promise<T>, check: (v: T) => boolean, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const last = await probe();
    if (check(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last saw ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
