/**
 * Built-in PostgreSQL type OIDs the decoder gives a JSON shape (src/include/catalog/pg_type.dat; these OIDs
 * are fixed across versions). Any other type — enums, domains, extension types, geometric types — keeps the
 * text PostgreSQL printed.
 */
export type ValueShape =
  | 'bool'
  | 'int' // int2, int4, oid, xid: always a safe JS number
  | 'int8' // int8, xid8: a number when safe, else a decimal string
  | 'float' // float4, float8: a number; NaN and ±Infinity stay text
  | 'numeric' // always a decimal string (every digit kept)
  | 'json'
  | 'bytea'
  | 'timestamptz'
  | 'timestamp'
  | 'date'
  | 'text';

export const SCALAR_SHAPES: ReadonlyMap<number, ValueShape> = new Map<number, ValueShape>([
  [16, 'bool'],
  [17, 'bytea'],
  [20, 'int8'],
  [21, 'int'],
  [23, 'int'],
  [26, 'int'],
  [28, 'int'],
  [114, 'json'],
  [700, 'float'],
  [701, 'float'],
  [1082, 'date'],
  [1114, 'timestamp'],
  [1184, 'timestamptz'],
  [1700, 'numeric'],
  [3802, 'json'],
  [5069, 'int8'],
]);

/** Array type OID → element type OID, for the built-in arrays most schemas use. */
export const ARRAY_ELEMENTS: ReadonlyMap<number, number> = new Map<number, number>([
  [1000, 16], // _bool
  [1001, 17], // _bytea
  [1002, 18], // _char
  [1003, 19], // _name
  [1005, 21], // _int2
  [1007, 23], // _int4
  [1009, 25], // _text
  [1014, 1042], // _bpchar
  [1015, 1043], // _varchar
  [1016, 20], // _int8
  [1021, 700], // _float4
  [1022, 701], // _float8
  [1028, 26], // _oid
  [1041, 869], // _inet
  [651, 650], // _cidr
  [1115, 1114], // _timestamp
  [1182, 1082], // _date
  [1183, 1083], // _time
  [1185, 1184], // _timestamptz
  [1187, 1186], // _interval
  [1231, 1700], // _numeric
  [1270, 1266], // _timetz
  [199, 114], // _json
  [2951, 2950], // _uuid
  [3807, 3802], // _jsonb
  [791, 790], // _money
]);
