/**
 * POSTing every new signed checkpoint to a URL (`AUDITQL_CHECKPOINT_URL`, docs/ledger.md "Checkpoints"), so
 * each digest leaves the warehouse as it is made: a WORM bucket's gateway, another team's system, a witness.
 *
 * Never in ingest's way: `post` only queues (bounded; the oldest is dropped, counted and logged when the
 * receiver is away that long) and one loop sends, in order of tree size. Each checkpoint is the C2SP
 * signed note as the body (`text/plain; charset=utf-8`), `X-Auditql-Tree-Size` naming its size, and with
 * `AUDITQL_CHECKPOINT_TOKEN_FILE` an `Authorization: Bearer` header (the file is read at each send, so a
 * rotated token is picked up). A 2xx is delivered; a 408, 429, 5xx or network failure is retried with
 * exponential backoff and jitter (1 s doubling to 60 s, 8 attempts); any other status, or the last attempt,
 * gives up on that checkpoint: logged and counted (`auditql_ledger_checkpoint_posts_total`). A checkpoint
 * given up on is still in `auditql.ledger_checkpoints` and `auditql checkpoints export` has it.
 */
import { readFileSync } from 'node:fs';
import { backoff } from '../../retry-policy.js';

export interface CheckpointPostOptions {
  readonly url: string;
  readonly tokenFile?: string | null;
  readonly log?: (msg: string) => void;
  readonly attempts?: number;
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Checkpoints waiting at most (default 1000). */
  readonly queueLimit?: number;
  /** One request's time limit (default 10 s). */
  readonly timeoutMs?: number;
}

/** Process-wide outcomes, read by the metrics at scrape (src/metrics/telemetry.ts). */
export const checkpointPostStats = { delivered: 0, retried: 0, failed: 0, dropped: 0 };

const RETRYABLE = (status: number) => status === 408 || status === 429 || status >= 500;

export class CheckpointPoster {
  private readonly queue: { readonly size: number; readonly note: string }[] = [];
  private running: Promise<void> | null = null;

  constructor(private readonly o: CheckpointPostOptions) {}

  /** Queue a checkpoint for delivery; returns at once. */
  post(c: { readonly size: number; readonly note: string }): void {
    if (this.queue.length >= (this.o.queueLimit ?? 1000)) {
      const old = this.queue.shift()!;
      checkpointPostStats.dropped++;
      this.o.log?.(`checkpoint POST: queue full; checkpoint ${old.size} not posted (it stays in the warehouse)`);
    }
    this.queue.push(c);
    this.running ??= this.run().finally(() => { this.running = null; });
  }

  /** Resolves when everything queued was delivered or given up on (a finite ingest before it exits). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async run(): Promise<void> {
    for (let c = this.queue.shift(); c; c = this.queue.shift()) await this.deliver(c);
  }

  private async deliver(c: { readonly size: number; readonly note: string }): Promise<void> {
    const attempts = this.o.attempts ?? 8;
    for (let attempt = 1; ; attempt++) {
      let why: string;
      let retry: boolean;
      try {
        const res = await fetch(this.o.url, {
          method: 'POST',
          headers: { 'content-type': 'text/plain; charset=utf-8', 'x-auditql-tree-size': String(c.size), ...this.auth() },
          body: c.note,
          signal: AbortSignal.timeout(this.o.timeoutMs ?? 10_000),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) {
          checkpointPostStats.delivered++;
          return;
        }
        why = `HTTP ${res.status}`;
        retry = RETRYABLE(res.status);
      } catch (err) {
        why = (err as Error).name === 'TimeoutError' ? 'timed out' : ((err as Error & { cause?: { code?: string } }).cause?.code ?? (err as Error).message);
        retry = true;
      }
      if (!retry || attempt >= attempts) {
        checkpointPostStats.failed++;
        this.o.log?.(`checkpoint POST: gave up on checkpoint ${c.size} after ${attempt} attempt(s): ${why} (it stays in the warehouse)`);
        return;
      }
      checkpointPostStats.retried++;
      const delay = backoff(attempt, { initialMs: this.o.initialBackoffMs ?? 1000, maxMs: this.o.maxBackoffMs ?? 60_000 });
      if (attempt === 1) this.o.log?.(`checkpoint POST: checkpoint ${c.size}: ${why}; retrying with backoff`);
      await new Promise((r) => setTimeout(r, delay).unref());
    }
  }

  private auth(): Record<string, string> {
    if (!this.o.tokenFile) return {};
    const token = readFileSync(this.o.tokenFile, 'utf8').trim();
    return token ? { authorization: `Bearer ${token}` } : {};
  }
}
