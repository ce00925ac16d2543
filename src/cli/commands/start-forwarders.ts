/**
 * The forwarders `auditql start` runs (AUDITQL_FORWARD; docs/siem.md "Inside auditql start"): each an
 * `auditql forward` argument list, validated before anything starts, then run in this process beside the
 * API and ingest. Each has its own two-connection pool, so a forwarder waiting on its destination or
 * reading a long backlog never takes a connection the API or ingest needs; its failures are retried inside
 * it and never stop the process. SIGTERM stops each (abandoning a send in flight, which its cursor still
 * covers) before the API and the warehouse close.
 */
import type { Logger } from '../../log.js';
import { onShutdown } from '../../lifecycle.js';
import type { Policy } from '../../policy/policy.js';
import { openWarehouse } from '../../warehouse/db.js';
import { AuditqlError, ErrorCode } from '../../errors.js';
import { forwarderOf, prepareForwarder, type ForwarderRun } from './forward.js';

/** Every configured forwarder, checked (flags, role, token, destination); names must differ. */
export function prepareForwarders(specs: readonly (readonly string[])[], policy: Policy, log: Logger): ForwarderRun[] {
  const runs = specs.map((argv) => {
    try {
      return prepareForwarder(argv, policy, log);
    } catch (err) {
      if (err instanceof AuditqlError) throw new AuditqlError(err.code, `AUDITQL_FORWARD: ${err.message}`);
      throw err;
    }
  });
  const names = new Set<string>();
  for (const r of runs) {
    if (names.has(r.args.name)) throw new AuditqlError(ErrorCode.BAD_CONFIG, `AUDITQL_FORWARD: two forwarders named ${JSON.stringify(r.args.name)} would share one cursor`);
    names.add(r.args.name);
  }
  return runs;
}

export function startForwarders(runs: readonly ForwarderRun[], warehouseUrl: string, log: Logger): void {
  for (const run of runs) {
    const name = run.args.name;
    const pool = openWarehouse(warehouseUrl, { max: 2, applicationName: `auditql forward ${name}` });
    const f = forwarderOf(run, pool.db, log);
    onShutdown(() => pool.close());
    onShutdown(() => f.stop());
    log.info(`forwarding as ${JSON.stringify(name)}: --to ${run.args.to}, ${run.args.format}, role ${run.view.role}`);
    f.start().catch((err: Error) => log.error(`forwarder ${name} stopped: ${err.message}`));
  }
}
