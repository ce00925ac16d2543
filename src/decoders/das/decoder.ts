/**
 * The Aurora / RDS Database Activity Streams decoder (docs/formats/das.md).
 *
 * One record → the activity events it holds, heartbeats removed: a record of only heartbeats is skipped as
 * HEARTBEAT (heartbeats prove liveness; they are not activity), and heartbeats inside a record that also holds
 * activity are dropped without a trace. Encrypted records are decrypted with the injected
 * `ctx.keyProvider` (decrypt.ts); a record that cannot be decrypted or read throws DecodeError and is
 * dead-lettered with its bytes — no event is ever invented.
 */
import { emit, skip, type Decoder } from '../decoder.js';
import { eventsOf, parseJson } from './records.js';
import { isHeartbeat, recognizesDas } from './shapes.js';
import { toActivity } from './to-activity.js';

export const dasDecoder: Decoder = {
  format: 'das',
  recognizes: recognizesDas,
  async decode(record, ctx) {
    if (record.value === null) return skip('TOMBSTONE');
    const textValue = record.value.toString('utf8').replace(/^\uFEFF/, '').trim();
    if (textValue === '') return skip('EMPTY');
    const inputs = await eventsOf(parseJson(textValue, 'DAS record'), ctx, record.topic);
    const activities = inputs.filter((input) => !isHeartbeat(input.event));
    if (activities.length === 0) return skip(inputs.length === 0 ? 'EMPTY' : 'HEARTBEAT');
    return emit(...activities.map((input) => toActivity(input, ctx, record.position, record.topic)));
  },
};
