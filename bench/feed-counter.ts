/**
 * One graphql-ws subscriber on `changeAdded { id source }` (every change, no filter) that counts what it
 * receives per source and checks the feed's promise on the way: every row once, in `seq` order
 * (docs/subscriptions.md "Order, cursors and `after`"; a Change's `id` is its `seq`).
 * Used by bench:ingest's processes mode (bench/ingest-processes.ts).
 */
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';

const SUBSCRIPTION = 'subscription BenchProcesses { changeAdded { id source } }';

export interface FeedCounter {
  /** Distinct rows received of these sources. */
  received(sources: readonly string[]): number;
  /** Rows received again (a `seq` seen before). */
  readonly duplicates: number;
  /** Rows received below a `seq` already received (not counting duplicates). */
  readonly outOfOrder: number;
  /** Why the subscription ended (an error or a close), or null while it runs. */
  readonly ended: string | null;
  /** True once `done()` holds (checked after every row); false when `ms` pass first or the subscription ends. */
  waitFor(done: () => boolean, ms: number): Promise<boolean>;
  close(): Promise<void>;
}

function describe(e: unknown): string {
  const c = e as { code?: number; reason?: string; message?: string };
  if (Array.isArray(e)) return e.map((x: { message?: string; extensions?: { code?: string } }) => x.extensions?.code ?? x.message).join(', ');
  return `${c.code ?? ''} ${c.reason ?? c.message ?? JSON.stringify(e)}`.trim();
}

/** Subscribe at `apiUrl` (the server's http URL of /graphql); rows count from when the server handles the subscribe. */
export function feedCounter(apiUrl: string): FeedCounter {
  const seen = new Set<number>();
  const bySource = new Map<string, number>();
  let last = -Infinity;
  let wakers: (() => void)[] = [];
  const wake = () => {
    const w = wakers;
    wakers = [];
    for (const f of w) f();
  };
  const client = createClient({ url: apiUrl.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0 });
  const state = {
    duplicates: 0,
    outOfOrder: 0,
    ended: null as string | null,
    received: (sources: readonly string[]) => sources.reduce((a, s) => a + (bySource.get(s) ?? 0), 0),
    async waitFor(done: () => boolean, ms: number): Promise<boolean> {
      const deadline = Date.now() + ms;
      while (!done()) {
        const left = deadline - Date.now();
        if (state.ended !== null || left <= 0) return false;
        await new Promise<void>((res) => {
          const t = setTimeout(res, left);
          wakers.push(() => {
            clearTimeout(t);
            res();
          });
        });
      }
      return true;
    },
    async close() {
      unsubscribe();
      await client.dispose();
    },
  };
  const unsubscribe = client.subscribe<{ changeAdded: { id: string; source: string } }>({ query: SUBSCRIPTION }, {
    next: (r) => {
      const c = r.data?.changeAdded;
      if (!c) {
        state.ended = `a result without a change: ${describe(r.errors ?? r)}`;
        return wake();
      }
      const seq = Number(c.id);
      if (seen.has(seq)) state.duplicates++;
      else {
        seen.add(seq);
        bySource.set(c.source, (bySource.get(c.source) ?? 0) + 1);
        if (seq < last) state.outOfOrder++;
        else last = seq;
      }
      wake();
    },
    error: (e) => {
      state.ended = describe(e);
      wake();
    },
    complete: () => {
      state.ended ??= 'the server completed the subscription';
      wake();
    },
  });
  return state;
}
