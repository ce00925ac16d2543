/**
 * What the warehouse has made durable, per partition stream (`<topic>/<partition>`): the pipeline calls
 * `acknowledge` with the checkpoints of each batch it committed (`position` = the next offset to read), and
 * batch handlers wait here before they resolve and commit a Kafka offset. Offsets only move forward: a
 * checkpoint below what is already durable changes nothing.
 */
import type { Checkpoint } from '../../contracts/records.js';

interface Waiter {
  /** stream → the next offset that must be durable. */
  readonly targets: ReadonlyMap<string, bigint>;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

const maxOf = (a: bigint | undefined, b: bigint): bigint => (a === undefined || b > a ? b : a);

function parseOffset(position: string): bigint | null {
  return /^\d{1,19}$/.test(position) ? BigInt(position) : null;
}

export class DurableOffsets {
  private readonly queued = new Map<string, bigint>();
  private readonly durable = new Map<string, bigint>();
  private waiters = new Set<Waiter>();
  private failure: { readonly error: unknown } | null = null;

  /**
   * A record ending before `next` was queued for the pipeline. True when it is the furthest one of its
   * stream so far: only then does it carry a checkpoint (a redelivered, lower record must not move the
   * warehouse checkpoint back).
   */
  queue(stream: string, next: bigint): boolean {
    const before = this.queued.get(stream);
    if (before !== undefined && next <= before) return false;
    this.queued.set(stream, next);
    return true;
  }

  acknowledge(checkpoints: readonly Checkpoint[]): void {
    for (const cp of checkpoints) {
      const next = parseOffset(cp.position);
      if (next === null) continue;
      this.durable.set(cp.stream, maxOf(this.durable.get(cp.stream), next));
    }
    for (const w of this.waiters) {
      if (this.reached(w)) {
        this.waiters.delete(w);
        w.resolve();
      }
    }
  }

  durableOf(stream: string): bigint | undefined {
    return this.durable.get(stream);
  }

  /** Resolves once every record of `stream` before `next` is durable. Rejects if the intake failed. */
  whenDurable(stream: string, next: bigint): Promise<void> {
    return this.wait(new Map([[stream, next]]));
  }

  /** Resolves once everything queued until now, on every stream, is durable. */
  settled(): Promise<void> {
    return this.wait(new Map(this.queued));
  }

  /** The pipeline gave up: nothing queued will become durable. Every waiter rejects with `error`. */
  fail(error: unknown): void {
    if (!this.failure) this.failure = { error };
    for (const w of this.waiters) w.reject(error);
    this.waiters.clear();
  }

  private wait(targets: ReadonlyMap<string, bigint>): Promise<void> {
    if (this.failure) return Promise.reject(this.failure.error);
    return new Promise((resolve, reject) => {
      const w: Waiter = { targets, resolve, reject };
      if (this.reached(w)) resolve();
      else this.waiters.add(w);
    });
  }

  private reached(w: Waiter): boolean {
    for (const [stream, next] of w.targets) if ((this.durable.get(stream) ?? -1n) < next) return false;
    return true;
  }
}
