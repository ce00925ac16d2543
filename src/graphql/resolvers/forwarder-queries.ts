/** `Query.forwarders` (docs/siem.md "Lag"): every forwarder's cursor and lag, for roles whose `fields` allow it (admin, auditor). */
import { Ctx, Query, Resolver } from 'type-graphql';
import type { ApiContext } from '../context.js';
import { forwarderLags } from '../../warehouse/queries/forwarders.js';
import { Forwarder } from '../types/forwarder.js';

@Resolver()
export class ForwarderQueries {
  @Query(() => [Forwarder], { description: 'Every `auditql forward` forwarder, by name, with its cursor, its lag behind the feed and its last error code.' })
  async forwarders(@Ctx() ctx: ApiContext): Promise<Forwarder[]> {
    return (await forwarderLags(ctx.warehouse.db)).map((f) => ({
      name: f.name, destination: f.destination, format: f.format, role: f.role, cursor: f.ackedSeq, ackedEvents: Number(f.ackedEvents),
      lagEvents: f.lagEvents, lagSeconds: f.lagSeconds, lastAckedAt: f.ackedAt, lastErrorCode: f.lastErrorCode, lastErrorAt: f.lastErrorAt,
    }));
  }
}
