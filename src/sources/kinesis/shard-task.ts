/** One shard being read by this process: its reader, what was handed on, what the warehouse stored. */
import type { SourceRecord } from '../../contracts/records.js';
import { readShard, type ShardReaderOptions } from './shard-reader.js';
import { abortableSleep } from '../../abortable-sleep.js';

export type ShardTaskState = 'reading' | 'ended' | 'leaving';

export class ShardTask {
  state: ShardTaskState = 'reading';
  /** The last sequence number handed to the pipeline, and the last one the warehouse stored. */
  handedOn: string | null;
  stored: string | null;
  /** For an ended shard: its last sequence number (null: it held none). */
  last: string | null = null;
  /** The last GetRecords' MillisBehindLatest (undefined before the first). */
  behindMs: number | undefined;
  private readonly abort = new AbortController();

  constructor(readonly shardId: string, readonly name: string, after: string | null) {
    this.handedOn = after;
    this.stored = after;
  }

  get reading(): boolean {
    return this.state === 'reading' && !this.abort.signal.aborted;
  }

  /** Everything handed on is stored. */
  get settled(): boolean {
    return this.stored === this.handedOn;
  }

  /** Read to the end and all of it stored: the shard may be marked finished. */
  get finished(): boolean {
    return this.state === 'ended' && (this.last === null || this.stored === this.last);
  }

  wait = (ms: number): Promise<void> => abortableSleep(ms, this.abort.signal);

  /** Stop reading (records already handed on still flow and are acknowledged). */
  stop(state: ShardTaskState = 'leaving'): void {
    if (this.state === 'reading') this.state = state;
    this.abort.abort();
  }

  async run(o: Omit<ShardReaderOptions, 'shardId' | 'after' | 'active' | 'wait' | 'push' | 'behind'> & { push: (r: SourceRecord, wanted: () => boolean) => Promise<boolean> }): Promise<void> {
    const result = await readShard({
      ...o,
      shardId: this.shardId,
      after: this.handedOn,
      active: () => this.reading,
      wait: this.wait,
      behind: (ms) => { this.behindMs = ms; },
      push: async (r) => {
        const pushed = await o.push(r, () => this.reading);
        if (pushed) this.handedOn = r.checkpoint!.position;
        return pushed;
      },
    });
    if (result.ended && this.state === 'reading') {
      this.state = 'ended';
      this.last = result.last;
    }
  }
}
