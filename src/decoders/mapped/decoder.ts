/**
 * `--format mapped`: JSON events that are no built-in format, mapped by a declared mapping file
 * (docs/formats/mapped.md). The mapping is compiled once by the CLI and carried in `ctx.mapping`; the
 * decoder only evaluates it: filters, then the first matching event type, then its fields. Pure.
 */
import { DecodeError, ErrorCode, undecodable } from '../../errors.js';
import { parseJsonLossless } from '../../model/lossless-json.js';
import { emit, skip, type DecodeContext, type DecodeResult, type Decoder, type RawRecord } from '../decoder.js';
import { coerceField } from './coerce-field.js';
import type { CompiledDrop, CompiledEventType, CompiledMapping } from './compile-mapping.js';
import { toActivity, toChange } from './to-event.js';

async function droppedBy(drops: readonly CompiledDrop[], event: unknown): Promise<string | undefined> {
  for (const d of drops) if (await d.when(event)) return d.reason;
  return undefined;
}

async function typeOf(mapping: CompiledMapping, event: unknown): Promise<CompiledEventType | undefined> {
  for (const t of mapping.types) if (await t.match(event)) return t;
  return undefined;
}

export async function decodeMapped(record: RawRecord, ctx: DecodeContext): Promise<DecodeResult> {
  const mapping = ctx.mapping;
  if (!mapping) throw new DecodeError(ErrorCode.BAD_CONFIG, '--format mapped needs --mapping FILE');
  if (record.value === null) return skip('TOMBSTONE');
  const event = parseJsonLossless(record.value.toString('utf8'));
  if (typeof event !== 'object' || event === null || Array.isArray(event)) throw undecodable('a mapped event is a JSON object');

  const globalDrop = await droppedBy(mapping.drops, event);
  if (globalDrop) return skip(`FILTERED:${globalDrop}`);
  const type = await typeOf(mapping, event);
  if (!type) {
    if (mapping.unmatched === 'skip') return skip('UNMATCHED');
    throw new DecodeError(ErrorCode.UNSUPPORTED_RECORD, `mapping: the event matches no event type (${mapping.types.map((t) => t.type).join(', ')})`);
  }
  const typeDrop = await droppedBy(type.drops, event);
  if (typeDrop) return skip(`FILTERED:${typeDrop}`);

  const values: Record<string, unknown> = {};
  for (const f of type.fields) values[f.name] = coerceField(f.path, f.target, await f.evaluate(event));
  const extra = { ...(mapping.name !== null ? { mapping: mapping.name } : {}), eventType: type.type };
  const path = `events[${mapping.types.indexOf(type)}].fields`;
  return emit(type.kind === 'activity' ? toActivity(values, record.position, extra) : toChange(values, record.position, extra, ctx.keyColumns, path));
}

export const mappedDecoder: Decoder = Object.freeze({
  format: 'mapped',
  // Never chosen by `--format auto`: without a mapping nothing is recognisable.
  recognizes: () => false,
  decode: decodeMapped,
});
