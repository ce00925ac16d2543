import { describe, expect, it } from 'vitest';
import { stderrLogger, childLogger } from '../../src/log.js';
import { logFormatFrom } from '../../src/log/config.js';
import { secretsFromEnv } from '../../src/log/secrets.js';

const capture = (o: Parameters<typeof stderrLogger>[2], level: Parameters<typeof stderrLogger>[0] = 'debug') => {
  const lines: string[] = [];
  return { lines, log: stderrLogger(level, (l) => lines.push(l), { now: () => new Date('2026-01-02T03:04:05.678Z'), ...o }) };
};

describe('the logger', () => {
  it('writes one JSON object per record with time, level, component, msg, bindings and fields', () => {
    const { lines, log } = capture({ format: 'json' });
    const kafka = childLogger(childLogger(log, { component: 'ingest', source: 'orders' }), { component: 'kafka' });
    kafka.warn('lagging', { partition: 3, lag: 10n });
    log.info('plain "quoted"\nline');
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { time: '2026-01-02T03:04:05.678Z', level: 'warn', component: 'kafka', msg: 'lagging', source: 'orders', partition: 3, lag: '10' },
      { time: '2026-01-02T03:04:05.678Z', level: 'info', component: 'auditql', msg: 'plain "quoted"\nline' },
    ]);
  });

  it('keeps the text lines scripts match, with bindings after the message', () => {
    const { lines, log } = capture({ format: 'text' }, 'info');
    log.debug('not shown');
    log.info('started');
    log.warn('careful');
    childLogger(log, { component: 'ingest', source: 'shop' }).error('failed', { code: 'AUDITQL_INTERNAL' });
    expect(lines).toEqual(['auditql: started', 'auditql warn: careful', 'auditql error: failed [source=shop code=AUDITQL_INTERNAL]']);
  });

  it('scrubs known secrets (also as JSON escapes them) and URL passwords from every record', () => {
    const { lines, log } = capture({ format: 'json', secrets: ['s3cr"et-value', 'auditql', 'short'] });
    log.error('connect postgres://bob:hunter22@db:5432/x failed with s3cr"et-value', { header: 's3cr"et-value' });
    log.info('auditql short');
    expect(lines.join('\n')).not.toMatch(/s3cr|hunter22/);
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'connect postgres://bob:***@db:5432/x failed with ***', header: '***' });
    expect(JSON.parse(lines[1]!).msg).toBe('auditql short'); // too short or public: not secrets
  });

  it('finds secrets in the environment: URL passwords, secret-named variables, Firehose-named keys', () => {
    const s = secretsFromEnv({
      DATABASE_URL: 'postgres://u:p%40ss-word@h/db', AUDITQL_KAFKA_SASL_PASSWORD: 'kafka-pass', MY_TOKEN: 'tok-123456', HOME: '/root',
      AUDITQL_FIREHOSE_SOURCES: JSON.stringify({ a: { accessKeyEnv: 'FH_A' } }), FH_A: 'firehose-a-key',
    });
    expect(s).toEqual(expect.arrayContaining(['p@ss-word', 'p%40ss-word', 'kafka-pass', 'tok-123456', 'firehose-a-key']));
    expect(s).not.toContain('/root');
  });

  it('is JSON off a terminal and text on one unless AUDITQL_LOG_FORMAT says', () => {
    expect(logFormatFrom({}, false)).toBe('json');
    expect(logFormatFrom({}, true)).toBe('text');
    expect(logFormatFrom({ AUDITQL_LOG_FORMAT: 'text' }, false)).toBe('text');
    expect(logFormatFrom({ AUDITQL_LOG_FORMAT: 'json' }, true)).toBe('json');
    expect(() => logFormatFrom({ AUDITQL_LOG_FORMAT: 'xml' }, true)).toThrow(/AUDITQL_LOG_FORMAT="xml": expected json or text/);
  });
});
