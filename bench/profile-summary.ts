/**
 * Summarises V8 CPU profiles (`node --cpu-prof` writes one `.cpuprofile` per thread) for BENCHMARKS.md:
 * per profile, its wall time, how much of it the thread was idle, in garbage collection and running, and the
 * functions with the most self time, grouped by function and file. Reads the format V8's profiler writes
 * (Chrome DevTools protocol `Profiler.Profile`: nodes with call frames, samples and time deltas).
 *
 *   node dist/bench/profile-summary.js [--top N] FILE.cpuprofile|DIR …
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

/** Chrome DevTools protocol `Profiler.ProfileNode` and `Profiler.Profile`, the fields read here. */
interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const SPECIAL = new Set(['(idle)', '(garbage collector)', '(program)', '(root)']);

function label(n: ProfileNode): string {
  const f = n.callFrame;
  if (SPECIAL.has(f.functionName)) return f.functionName;
  const file = f.url ? f.url.replace(/^file:\/\//, '').replace(/^.*\/(node_modules\/)/, '$1').replace(/^.*\/dist\//, 'dist/') : '(native)';
  return `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}`;
}

function summarise(path: string, top: number): void {
  const p = JSON.parse(readFileSync(path, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const us = p.timeDeltas[i] ?? 0;
    const node = byId.get(p.samples[i]!);
    if (!node) continue;
    const k = label(node);
    self.set(k, (self.get(k) ?? 0) + us);
    total += us;
  }
  const ms = (us: number) => (us / 1000).toFixed(0);
  const pct = (us: number) => ((us / total) * 100).toFixed(1);
  const idle = self.get('(idle)') ?? 0;
  const gc = self.get('(garbage collector)') ?? 0;
  const busy = total - idle;
  console.log(`${basename(path)}: ${ms(total)} ms sampled; idle ${pct(idle)}%, busy ${pct(busy)}% ` +
    `(garbage collection ${pct(gc)}%, "(program)" ${pct(self.get('(program)') ?? 0)}%)`);
  const rows = [...self.entries()].filter(([k]) => k !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, top);
  for (const [k, us] of rows) console.log(`  ${pct(us).padStart(5)}%  ${ms(us).padStart(7)} ms  ${((us / busy) * 100).toFixed(1).padStart(5)}% of busy  ${k}`);
}

function main(): void {
  const args = process.argv.slice(2);
  let top = 25;
  const paths: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--top') top = Number(args[++i]);
    else paths.push(args[i]!);
  }
  if (paths.length === 0 || !Number.isInteger(top) || top <= 0) {
    console.error('usage: profile-summary [--top N] FILE.cpuprofile|DIR …');
    process.exitCode = 2;
    return;
  }
  for (const p of paths) {
    const files = statSync(p).isDirectory() ? readdirSync(p).filter((f) => f.endsWith('.cpuprofile')).sort().map((f) => join(p, f)) : [p];
    for (const f of files) summarise(f, top);
  }
}

main();
