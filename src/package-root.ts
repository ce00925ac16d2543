/**
 * The root of the auditql package: where migrations/, sql/ and schema/ live beside dist/. Found by walking
 * up from the calling module rather than by a fixed number of `..`, because the same module runs compiled
 * from dist/src/… (the CLI, an installed package) and from src/… (vitest), one directory apart.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The nearest directory above `from` with auditql's package.json. */
export function packageRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'auditql') return dir;
    if (dirname(dir) === dir) throw new Error('cannot find the auditql package root');
  }
}
