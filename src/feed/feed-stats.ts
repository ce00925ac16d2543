/** Counters of one change feed, for tests, benchmarks and operators. Plain numbers, only ever growing. */
export interface FeedStats {
  /** Head reads (`feedHead`): one per wake-up that had subscribers to serve. */
  headReads: number;
  /** Reads done by groups (shared by every live member). */
  groupReads: number;
  /** Reads done by one subscriber catching up (replay). */
  replayReads: number;
  /** Rows read by groups and replays. */
  rowsRead: number;
  /** Notifications received. */
  notifications: number;
  /** Subscribers dropped as too slow. */
  dropped: number;
  /** Live members moved back to catching up because their queue was full. */
  detached: number;
}

export const newFeedStats = (): FeedStats => ({
  headReads: 0, groupReads: 0, replayReads: 0, rowsRead: 0, notifications: 0, dropped: 0, detached: 0,
});
