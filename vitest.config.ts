import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // CLI processes the tests spawn log text lines, which their assertions match (the default off a
    // terminal is JSON; test/integration/observability*.test.ts sets AUDITQL_LOG_FORMAT=json itself).
    env: { AUDITQL_LOG_FORMAT: 'text' },
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests each create their own database in the one PostgreSQL the global setup started.
    pool: 'forks',
  },
});
