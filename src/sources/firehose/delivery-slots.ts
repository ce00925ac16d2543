/**
 * How many deliveries are read and stored at once. A delivery can hold 64 MiB (and its parsed and decoded
 * forms several times that), and Firehose sends deliveries in parallel: beyond the limit a request waits
 * for a slot before its body is read, so its bytes wait in the socket (TCP backpressure), not in memory.
 */
export class DeliverySlots {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`delivery slots: expected a positive integer, got ${max}`);
  }

  /** Resolves with the slot's release function (idempotent) once one is free. */
  async acquire(): Promise<() => void> {
    if (this.active < this.max) this.active++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve)); // the releaser hands its slot over
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    };
  }
}
