/**
 * The embedded default as root, from a directory the `postgres` user cannot enter (`/root` is mode 700, as
 * is any `mktemp -d`): PostgreSQL runs as `postgres`, so its data goes where that user can reach it
 * (src/warehouse/pg-binaries.ts), and the server starts instead of failing with EACCES.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { startEmbedded } from '../../src/warehouse/embedded.js';
import { serverUser, traversable } from '../../src/warehouse/pg-binaries.js';

describe.runIf(process.getuid?.() === 0)('embedded PostgreSQL as root', () => {
  it('starts with its data dir under a mode-700 directory, keeping the data where the postgres user can reach it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'auditql-private-')); // mode 700
    const user = serverUser()!;
    const requested = join(dir, 'pg');
    expect(traversable(requested, user)).toBe(false);
    const server = await startEmbedded({ dataDir: requested, ephemeral: true });
    try {
      expect(server.owned).toBe(true);
      expect(server.dataDir).not.toBe(requested);
      expect(traversable(server.dataDir, user)).toBe(true);
      const c = new pg.Client({ connectionString: server.url() });
      await c.connect();
      const r = await c.query<{ data_directory: string }>('show data_directory');
      await c.end();
      expect(r.rows[0]!.data_directory).toBe(server.dataDir);
      // the same requested directory maps to the same place: a second start joins the running server
      const again = await startEmbedded({ dataDir: requested });
      expect({ owned: again.owned, port: again.port, dataDir: again.dataDir }).toEqual({ owned: false, port: server.port, dataDir: server.dataDir });
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    expect(existsSync(dirname(server.dataDir)), 'an ephemeral server leaves nothing behind').toBe(false);
  }, 120_000);
});
