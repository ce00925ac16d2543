/**
 * Wait for a promise inside a kafkajs handler while keeping the group membership alive: call the payload's
 * `heartbeat()` every `everyMs` until it settles (kafkajs sends at most one heartbeat per `heartbeatInterval`,
 * so calling it often is cheap). A heartbeat that throws — the group is rebalancing — ends the wait with
 * that error, which kafkajs handles by rejoining.
 */
export async function heartbeatWhile<T>(heartbeat: () => Promise<void>, promise: Promise<T>, everyMs: number): Promise<T> {
  let done = false;
  const settled = promise.then(
    (v) => {
      done = true;
      return v;
    },
    (err: unknown) => {
      done = true;
      throw err;
    },
  );
  settled.catch(() => {}); // the caller sees the error through the race below, or not at all if a heartbeat threw first
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const tick = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, everyMs);
    });
    try {
      await Promise.race([settled, tick]);
    } finally {
      clearTimeout(timer);
    }
    if (done) return settled;
    await heartbeat();
  }
}
