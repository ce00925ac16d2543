/**
 * The metrics listener of processes without the API server (`auditql ingest` with AUDITQL_METRICS_PORT,
 * docs/operations.md): `GET /metrics`, `GET /healthz` (liveness: the process answers) and `GET /readyz`
 * (every readiness check passes) on HOST:AUDITQL_METRICS_PORT. Plain node:http: three routes, no framework.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { READY_PATH, readyzResponse, type ReadinessCheck } from '../health/readiness.js';
import type { Logger } from '../log.js';
import { METRICS_PATH } from './api-metrics.js';
import type { Telemetry } from './telemetry.js';

export interface MetricsServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

export async function startMetricsServer(o: {
  readonly telemetry: Telemetry;
  readonly readiness: readonly ReadinessCheck[];
  readonly port: number;
  readonly host: string;
  readonly log: Logger;
}): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type }).end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'application/json', '{"error":"method not allowed"}');
    const answer = async () => {
      if (path === METRICS_PATH) {
        const m = await o.telemetry.scrape();
        return send(200, m.contentType, m.body);
      }
      if (path === '/healthz') return send(200, 'application/json', '{"status":"ok"}');
      if (path === READY_PATH) {
        const r = await readyzResponse(o.readiness);
        return send(r.status, 'application/json', r.body);
      }
      return send(404, 'application/json', `{"error":"not found: metrics are at ${METRICS_PATH}"}`);
    };
    answer().catch((err: unknown) => {
      o.log.error(`metrics endpoint: ${(err as Error).message}`);
      if (!res.headersSent) send(500, 'application/json', '{"error":"internal error"}');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    port: address.port,
    url: `http://${host}:${address.port}${METRICS_PATH}`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
