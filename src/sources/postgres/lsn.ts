/**
 * Log sequence numbers: PostgreSQL's `pg_lsn`, printed `X/Y` (high and low 32 bits in hex, no padding —
 * the way `pg_current_wal_lsn()` prints them). Held as bigint for comparison and arithmetic.
 */
const LSN = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

export function parseLsn(text: string): bigint {
  const m = LSN.exec(text);
  if (!m) throw new Error(`not an LSN: ${JSON.stringify(text)}`);
  return (BigInt(`0x${m[1]}`) << 32n) | BigInt(`0x${m[2]}`);
}

export function isLsn(text: string): boolean {
  return LSN.test(text);
}

export function formatLsn(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

/** Canonical text of an LSN given in any padding (the replication library pads to 8 digits). */
export const canonicalLsn = (text: string) => formatLsn(parseLsn(text));

export const maxLsn = (a: bigint, b: bigint) => (a > b ? a : b);
