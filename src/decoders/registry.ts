/**
 * Format name → decoder. Adding a format means adding a decoder module and one line here; sources and
 * the pipeline never change (docs/contributing.md "Shape": small extension interfaces).
 */
import { AuditqlError, ErrorCode } from '../errors.js';
import type { SourceFormat } from '../model/events.js';
import type { Decoder } from './decoder.js';
import { autoDecoder } from './auto.js';

export const FORMATS = ['debezium', 'maxwell', 'das', 'pgaudit', 'pgoutput', 'mapped'] as const satisfies readonly SourceFormat[];
export type FileFormat = (typeof FORMATS)[number];
export type FormatChoice = FileFormat | 'auto';

// Loaded on demand so a command only pays for the formats it reads (the DAS decoder pulls in the AWS SDK).
const LOADERS: Record<FileFormat, () => Promise<Decoder>> = {
  debezium: async () => (await import('./debezium/decoder.js')).debeziumDecoder,
  maxwell: async () => (await import('./maxwell/decoder.js')).maxwellDecoder,
  das: async () => (await import('./das/decoder.js')).dasDecoder,
  pgaudit: async () => (await import('./pgaudit/decoder.js')).pgauditDecoder,
  // the built-in capture's own record format (docs/formats/pgoutput.md), e.g. for replaying a dump
  pgoutput: async () => (await import('./pgoutput/decoder.js')).pgoutputDecoder,
  // JSON events declared by a mapping file (ctx.mapping; docs/formats/mapped.md)
  mapped: async () => (await import('./mapped/decoder.js')).mappedDecoder,
};

/** What `--format auto` tries: every format that can recognise a record by itself (not `mapped`). */
const AUTO_FORMATS = FORMATS.filter((f) => f !== 'mapped');

export function isFormatChoice(name: string): name is FormatChoice {
  return name === 'auto' || (FORMATS as readonly string[]).includes(name);
}

export async function loadDecoder(name: string): Promise<Decoder> {
  if (!isFormatChoice(name)) {
    throw new AuditqlError(ErrorCode.UNKNOWN_FORMAT, `unknown format ${JSON.stringify(name)}; expected one of ${[...FORMATS, 'auto'].join(', ')}`);
  }
  if (name === 'auto') return autoDecoder(await Promise.all(AUTO_FORMATS.map((f) => LOADERS[f]())));
  return LOADERS[name]();
}
