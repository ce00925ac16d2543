/**
 * `--mapping FILE`: read and compile the mapping of `--format mapped` once, at start (docs/formats/mapped.md).
 * The CLI reads the file; the decoder gets the compiled mapping through the decode context.
 */
import { readFileSync } from 'node:fs';
import { AuditqlError, ErrorCode } from '../../errors.js';
import { compileMapping, type CompiledMapping } from '../../decoders/mapped/compile-mapping.js';

export function loadMapping(path: string | undefined, formats: readonly string[]): CompiledMapping | undefined {
  const wanted = formats.includes('mapped');
  if (path === undefined) {
    if (wanted) throw new AuditqlError(ErrorCode.BAD_CONFIG, 'ingest: --format mapped needs --mapping FILE (docs/formats/mapped.md)');
    return undefined;
  }
  if (!wanted) throw new AuditqlError(ErrorCode.BAD_CONFIG, 'ingest: --mapping is only read with --format mapped (or a --topic PATTERN=mapped)');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new AuditqlError(ErrorCode.BAD_CONFIG, `--mapping ${path}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new AuditqlError(ErrorCode.BAD_CONFIG, `--mapping ${path}: not valid JSON (${(err as Error).message})`);
  }
  try {
    return compileMapping(json);
  } catch (err) {
    if (err instanceof AuditqlError) throw new AuditqlError(err.code, `--mapping ${path}: ${err.message}`);
    throw err;
  }
}
