/** Firehose endpoint configuration (src/config/firehose.ts): parsed once, failing fast naming the key, never a secret. */
import { describe, expect, it } from 'vitest';
import { loadFirehoseConfig } from '../../src/config/firehose.js';
import { AuditqlError } from '../../src/errors.js';

const SECRET = 's3cr3t-firehose-key-value';

function failure(env: NodeJS.ProcessEnv): AuditqlError {
  try {
    loadFirehoseConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(AuditqlError);
    expect((err as Error).message).not.toContain(SECRET);
    return err as AuditqlError;
  }
  throw new Error('expected the configuration to be refused');
}

describe('Firehose configuration', () => {
  it('has no source, so the endpoint is disabled, when nothing is set', () => {
    const c = loadFirehoseConfig({});
    expect(c.sources).toEqual([]);
    expect(c.maxBodyBytes).toBe(64 * 1024 * 1024);
    expect(c.concurrency).toBe(4);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reads one source from AUDITQL_FIREHOSE_ACCESS_KEY, DAS by default', () => {
    const c = loadFirehoseConfig({ AUDITQL_FIREHOSE_ACCESS_KEY: SECRET, AUDITQL_FIREHOSE_DAS_RESOURCE_ID: 'cluster-ABC123' });
    expect(c.sources).toHaveLength(1);
    const s = c.sources[0]!;
    expect(s).toMatchObject({ name: 'firehose', accessKey: SECRET, format: 'das' });
    expect(s.ctx.dasResourceId).toBe('cluster-ABC123');
    expect(s.ctx.keyProvider).toBeUndefined(); // the CLI injects KMS
    expect(c.warnings).toEqual([]);
  });

  it('warns (without failing) when a DAS source has no resource id', () => {
    const c = loadFirehoseConfig({ AUDITQL_FIREHOSE_ACCESS_KEY: SECRET, AUDITQL_FIREHOSE_SOURCE: 'das-lambda' });
    expect(c.sources[0]!.name).toBe('das-lambda');
    expect(c.warnings.join('\n')).toMatch(/AUDITQL_FIREHOSE_DAS_RESOURCE_ID is not set/);
  });

  it('reads several sources from AUDITQL_FIREHOSE_SOURCES, keys from the variables they name', () => {
    const c = loadFirehoseConfig({
      AUDITQL_FIREHOSE_SOURCES: JSON.stringify({
        'das-prod': { accessKeyEnv: 'FH_DAS', format: 'das', dasResourceId: 'cluster-ABC' },
        'maxwell-shop': { accessKeyEnv: 'FH_MAXWELL', format: 'maxwell', keys: ['shop.lines=order_id,line_no'], maxwellKeyEnv: 'MAXWELL_KEY', contextPrefix: 'app' },
      }),
      AUDITQL_FIREHOSE_MAX_BODY_BYTES: '1048576',
      AUDITQL_FIREHOSE_CONCURRENCY: '2',
      FH_DAS: SECRET,
      FH_MAXWELL: 'other-key',
      MAXWELL_KEY: 'maxwell-secret',
    });
    expect(c.sources.map((s) => [s.name, s.format, s.accessKey])).toEqual([['das-prod', 'das', SECRET], ['maxwell-shop', 'maxwell', 'other-key']]);
    const m = c.sources[1]!.ctx;
    expect(m.keyColumns.get('shop.lines')).toEqual(['order_id', 'line_no']);
    expect(m.maxwellKey).toBe('maxwell-secret');
    expect(m.contextPrefix).toBe('app');
    expect(c.maxBodyBytes).toBe(1048576);
    expect(c.concurrency).toBe(2);
  });

  it('fails fast naming the variable, the source and the field', () => {
    const J = (v: unknown) => ({ AUDITQL_FIREHOSE_SOURCES: JSON.stringify(v), FH: SECRET });
    const cases: [NodeJS.ProcessEnv, RegExp][] = [
      [{ AUDITQL_FIREHOSE_SOURCES: '{not json' }, /^AUDITQL_FIREHOSE_SOURCES: not valid JSON/],
      [{ AUDITQL_FIREHOSE_SOURCES: '[]' }, /^AUDITQL_FIREHOSE_SOURCES: expected a JSON object/],
      [J({}), /^AUDITQL_FIREHOSE_SOURCES: no source configured/],
      [J({ a: { format: 'das' } }), /^AUDITQL_FIREHOSE_SOURCES: source "a" accessKeyEnv: required/],
      [J({ a: { accessKeyEnv: 'MISSING_VAR' } }), /source "a" accessKeyEnv: the variable MISSING_VAR is not set/],
      [J({ a: { accessKey: SECRET } }), /source "a": unknown field\(s\) accessKey.*accessKeyEnv instead/],
      [J({ a: { accessKeyEnv: 'FH', fromat: 'das' } }), /source "a": unknown field\(s\) fromat/],
      [J({ a: { accessKeyEnv: 'FH', format: 'csv' } }), /source "a" format: unknown format "csv"/],
      [J({ a: { accessKeyEnv: 'FH', dasResourceId: 'my-cluster' } }), /source "a" dasResourceId: expected a DbClusterResourceId/],
      [J({ a: { accessKeyEnv: 'FH', keys: ['nonsense'] } }), /source "a" keys: "nonsense": expected/],
      [J({ 'a/b': { accessKeyEnv: 'FH' } }), /source "a\/b": a source name is/],
      [{ ...J({ a: { accessKeyEnv: 'FH' } }), AUDITQL_FIREHOSE_ACCESS_KEY: SECRET }, /AUDITQL_FIREHOSE_SOURCES and AUDITQL_FIREHOSE_ACCESS_KEY are both set/],
      [{ AUDITQL_FIREHOSE_FORMAT: 'das' }, /AUDITQL_FIREHOSE_FORMAT set without AUDITQL_FIREHOSE_ACCESS_KEY/],
      [{ AUDITQL_FIREHOSE_ACCESS_KEY: SECRET, AUDITQL_FIREHOSE_FORMAT: 'xml' }, /^AUDITQL_FIREHOSE_FORMAT: unknown format "xml"/],
      [{ AUDITQL_FIREHOSE_ACCESS_KEY: 'k'.repeat(4097) }, /^AUDITQL_FIREHOSE_ACCESS_KEY: the value of AUDITQL_FIREHOSE_ACCESS_KEY is longer than 4096 bytes/],
      [{ AUDITQL_FIREHOSE_MAX_BODY_BYTES: '999999999' }, /^AUDITQL_FIREHOSE_MAX_BODY_BYTES="999999999": expected an integer/],
      [{ AUDITQL_FIREHOSE_CONCURRENCY: '0' }, /^AUDITQL_FIREHOSE_CONCURRENCY="0": expected an integer/],
    ];
    for (const [env, message] of cases) expect(failure(env).message).toMatch(message);
  });
});
