/**
 * kafkajs's log lines into our injected Logger (kafkajs docs "Custom logging": `logCreator`). kafkajs INFO
 * lines (joins, fetcher changes) are debug detail for us; its WARN and ERROR lines stay what they are,
 * except that a single connection attempt failing (namespace `Connection`, retried by kafkajs and reported
 * once by the caller if it never succeeds) is debug, and the broker pool's retry notices are warnings.
 * Only the message and the error text are kept: no broker payloads, no credentials.
 */
import { logLevel, type logCreator } from 'kafkajs';
import type { Logger } from '../../log.js';

export function kafkaLogCreator(log: Logger): logCreator {
  return () => ({ namespace, level, log: entry }) => {
    const error = (entry as { error?: unknown }).error;
    const text = `kafka ${namespace}: ${entry.message}${typeof error === 'string' && error !== entry.message ? ` (${error})` : ''}`;
    if (namespace === 'Connection') log.debug(text);
    else if (level === logLevel.ERROR && namespace !== 'BrokerPool') log.error(text);
    else if (level === logLevel.ERROR || level === logLevel.WARN) log.warn(text);
    else log.debug(text);
  };
}
