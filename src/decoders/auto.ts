/**
 * `--format auto`: per record, the first decoder that recognizes the parsed value decodes it. Text that is
 * not JSON goes to the decoder that frames logs (pgAudit) when that decoder recognizes it as one of its log
 * entries; any other text (prose, a CSV export, a JSON scalar, the words of a damaged JSON file) is a dead
 * letter with AUDITQL_UNKNOWN_FORMAT, never a skip. Costs one extra JSON parse per record.
 */
import { DecodeError, ErrorCode } from '../errors.js';
import { parseJsonLossless } from '../model/lossless-json.js';
import { skip, type Decoder } from './decoder.js';

export function autoDecoder(decoders: readonly Decoder[]): Decoder {
  const logDecoder = decoders.find((d) => d.createLogFramer);
  return {
    format: 'auto',
    recognizes: (value) => decoders.some((d) => d.recognizes(value)),
    createLogFramer: logDecoder?.createLogFramer ? (ctx) => logDecoder.createLogFramer!(ctx) : undefined,
    decode(record, ctx) {
      if (record.value === null) return skip('TOMBSTONE');
      const text = record.value.toString('utf8');
      const first = text.trimStart()[0];
      if (first !== '{' && first !== '[') {
        if (logDecoder && (logDecoder.recognizesText?.(text, ctx) ?? true)) return logDecoder.decode(record, ctx);
        throw new DecodeError(ErrorCode.UNKNOWN_FORMAT, 'record is neither JSON nor a log entry of a known format');
      }
      const value = parseJsonLossless(text);
      const decoder = decoders.find((d) => d.recognizes(value));
      if (!decoder) throw new DecodeError(ErrorCode.UNKNOWN_FORMAT, `record matches no known format (${decoders.map((d) => d.format).join(', ')})`);
      return decoder.decode(record, ctx);
    },
  };
}
