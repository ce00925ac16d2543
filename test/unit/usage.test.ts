/**
 * Each command's help page names what its parser accepts and its environment reads: every flag in the
 * command's parseArgs options and every variable kafka-env.ts reads, taken from the sources themselves,
 * so a flag added without help fails here.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COMMANDS, commandUsage, globalUsage } from '../../src/cli/usage.js';

const src = (path: string) => readFileSync(new URL(`../../src/${path}`, import.meta.url), 'utf8');
/** The option names of the parseArgs call in a file: lines like `'source-url': { type: …` or `print: { type: …`. */
const flagsOf = (path: string) => [...src(path).matchAll(/^\s+'?([a-z][a-z-]*)'?: \{ type: /gm)].map((m) => `--${m[1]}`);

describe('CLI help', () => {
  it('the global page lists every command and points at per-command help', () => {
    const page = globalUsage();
    expect(page).toMatch(/^auditql — who changed what/);
    for (const name of Object.keys(COMMANDS)) expect(page).toContain(`auditql ${name}`);
    expect(page).toContain('auditql COMMAND --help');
  });

  it('every command has its own page, different from the global one', () => {
    for (const name of Object.keys(COMMANDS)) {
      const page = commandUsage(name)!;
      expect(page).toMatch(new RegExp(`^auditql ${name} — `));
      expect(page).not.toEqual(globalUsage());
    }
    expect(commandUsage('nope')).toBeUndefined();
    expect(commandUsage('toString')).toBeUndefined();
  });

  it('ingest names every flag its parser takes and every Kafka variable', () => {
    const page = commandUsage('ingest')!;
    const flags = flagsOf('cli/commands/ingest-options.ts');
    expect(flags.length).toBeGreaterThan(15);
    for (const f of flags) expect(page, f).toContain(f);
    const vars = [...new Set([...src('sources/kafka/kafka-env.ts').matchAll(/AUDITQL_KAFKA_[A-Z_]+/g)].map((m) => m[0]))];
    expect(vars.length).toBeGreaterThan(10);
    for (const v of vars) expect(page, v).toContain(v);
  });

  it('install-source and retention name every flag their parsers take', () => {
    for (const [name, file] of [['install-source', 'cli/commands/install-source.ts'], ['retention', 'cli/commands/retention.ts']] as const) {
      const page = commandUsage(name)!;
      const flags = name === 'retention' ? ['--keep-days'] : flagsOf(file);
      expect(flags.length).toBeGreaterThan(0);
      for (const f of flags) expect(page, `${name} ${f}`).toContain(f);
    }
  });
});
