/**
 * Deliveries being stored right now, by source and request id. Firehose gives an endpoint 3 minutes and then
 * sends the same delivery again. A retry that arrives while the first attempt is still decoding joins that
 * attempt instead of decoding everything a second time; the two would also compete for the same CPU. If the
 * first attempt fails, the retry makes its own. (Across processes, the warehouse's `deliveries` row still
 * makes sure a delivery is stored once.)
 */
export class InflightDeliveries<T> {
  private readonly pending = new Map<string, Promise<T>>();

  /** The result of the attempt in progress for this key, or else of `attempt()`. `joined` tells which. */
  async run(source: string, requestId: string, attempt: () => Promise<T>): Promise<{ result: T; joined: boolean }> {
    const key = `${source}\u0000${requestId}`;
    const running = this.pending.get(key);
    if (running) {
      try {
        return { result: await running, joined: true };
      } catch {
        // the attempt we joined failed: make our own
      }
    }
    const mine = attempt();
    this.pending.set(key, mine);
    try {
      return { result: await mine, joined: false };
    } finally {
      if (this.pending.get(key) === mine) this.pending.delete(key);
    }
  }
}
