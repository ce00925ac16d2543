/** The product auditql names itself as in SIEM events (OCSF `metadata.product`, ECS `observer` / `agent`). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';

export interface Product {
  readonly name: string;
  readonly vendor: string;
  readonly version: string;
}

let product: Product | null = null;

export function auditqlProduct(): Product {
  product ??= Object.freeze({
    name: 'auditql',
    vendor: 'auditql',
    version: (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version,
  });
  return product;
}
