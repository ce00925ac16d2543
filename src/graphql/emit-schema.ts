/** `npm run schema`: writes schema/schema.graphql from the code (compiled: node dist/src/graphql/emit-schema.js). */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../package-root.js';
import { buildApiSchema, printApiSchema } from './schema.js';

export const SCHEMA_FILE = 'schema/schema.graphql';

async function main(): Promise<void> {
  const path = join(packageRoot(), SCHEMA_FILE);
  const sdl = printApiSchema(await buildApiSchema());
  const before = existsSync(path) ? readFileSync(path, 'utf8') : null;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, sdl);
  process.stderr.write(`auditql: ${SCHEMA_FILE} ${before === sdl ? 'unchanged' : 'written'}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err: unknown) => {
    process.stderr.write(`auditql: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  });
}
