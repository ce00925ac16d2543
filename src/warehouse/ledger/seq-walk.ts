/**
 * One seq space of `auditql verify` (verify.ts): the logged leaves of that space, in log order, walked
 * beside the rows recomputed from its tables, in seq order. The feed's space holds the six feed tables; the
 * API access records have their own (canonical.ts `space`). Leaves of the two spaces interleave in the log,
 * so verify hands each leaf to its space's walk; each reports what it finds at its seqs.
 */
import { DivergenceKind, type Divergence } from './divergence.js';
import type { LoggedLeaf, RowLeaf } from './leaf-streams.js';
import type { Hash } from './merkle.js';

export interface Altered { readonly seq: bigint; readonly kind: number; readonly logged: Hash }

export interface WalkHooks {
  readonly report: (d: Divergence) => void;
  readonly name: (kind: number) => string;
  /** A logged leaf without a row: true when a signed retention event accounts for it. */
  readonly retained: (l: LoggedLeaf) => boolean;
  /** A row that no longer hashes to its seq's leaf (told apart from a swap of seqs later). */
  readonly altered: (a: Altered) => void;
}

export class SeqWalk {
  rowsChecked = 0;
  /** Rows above the last logged leaf of this space, when `tail` is 'unlogged'. */
  unlogged = 0;
  private group: RowLeaf[] | undefined;
  private prevLeafSeq = -1n;

  /**
   * `fromSeq`: leaves below it are taken as logged. `tail`: what a row above the space's last logged leaf
   * is — 'added' (never logged: the feed, whose follower runs after every batch), or 'unlogged' (not logged
   * yet: the access records, written by the API between followers), counted and not a divergence.
   */
  constructor(private readonly groups: AsyncIterator<RowLeaf[]>, private readonly fromSeq: bigint,
    private readonly tail: 'added' | 'unlogged', private readonly h: WalkHooks) {}

  async start(): Promise<void> { await this.next(); }

  /** The next logged leaf of this space. */
  async leaf(l: LoggedLeaf): Promise<void> {
    if (l.seq <= this.prevLeafSeq) {
      this.h.report({ kind: DivergenceKind.ROOT_MISMATCH, seq: String(l.seq), table: this.h.name(l.kind), treeSize: l.index,
        detail: `the logged leaves are out of seq order at leaf ${l.index}` });
    } else this.prevLeafSeq = l.seq;
    if (l.seq < this.fromSeq) return;
    while (this.group && this.group[0]!.seq < l.seq) { this.added(); await this.next(); }
    const g = this.group;
    if (g && g[0]!.seq === l.seq) {
      const row = g.find((r) => r.hash.equals(l.hash)) ?? g.find((r) => r.kind === l.kind) ?? g[0]!;
      if (!row.hash.equals(l.hash)) this.h.altered({ seq: l.seq, kind: row.kind, logged: l.hash });
      await this.next();
    } else if (!this.h.retained(l)) {
      this.h.report({ kind: DivergenceKind.ROW_MISSING, seq: String(l.seq), table: this.h.name(l.kind), treeSize: null,
        detail: `leaf ${l.index} (seq ${l.seq}, ${this.h.name(l.kind)}) has no row, and no signed retention event removed it` });
    }
  }

  /** The rows after the last logged leaf. */
  async finish(): Promise<void> {
    while (this.group) {
      if (this.tail === 'unlogged' && this.group[0]!.seq > this.prevLeafSeq) this.unlogged += this.group.length;
      else this.added();
      await this.next();
    }
  }

  private added(): void {
    for (const r of this.group!) {
      this.h.report({ kind: DivergenceKind.ROW_ADDED, seq: String(r.seq), table: this.h.name(r.kind), treeSize: null,
        detail: `a row of ${this.h.name(r.kind)} with seq ${r.seq} was never logged: it was written outside the sink` });
    }
  }

  private async next(): Promise<void> {
    if (this.group) this.rowsChecked += this.group.length;
    this.group = (await this.groups.next()).value as RowLeaf[] | undefined;
    const g = this.group;
    if (g && g.length > 1) {
      const tables = g.map((r) => this.h.name(r.kind)).join(', ');
      this.h.report({ kind: DivergenceKind.SEQ_REUSED, seq: String(g[0]!.seq), table: tables, treeSize: null,
        detail: `seq ${g[0]!.seq} is carried by ${g.length} rows (${tables}); the sink gives each seq to one row` });
    }
  }
}
