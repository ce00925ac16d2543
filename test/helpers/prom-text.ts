/**
 * A strict parser of the Prometheus text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format): every line is a
 * `# HELP`, a `# TYPE` or a sample; a sample's name must belong to the family declared by the TYPE before
 * it (with `_bucket`/`_sum`/`_count` for histograms, `_total` for counters); label values are quoted with
 * only `\\`, `\"` and `\n` escapes; values are floats, `+Inf`, `-Inf` or `NaN`; no series repeats.
 * Anything else throws, naming the line.
 */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Family {
  readonly name: string;
  readonly type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  readonly help: string;
  readonly samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function parseValue(s: string, line: string): number {
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  if (s === 'NaN') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) throw new Error(`bad value ${JSON.stringify(s)} in: ${line}`);
  return Number(s);
}

function parseLabels(s: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < s.length) {
    const eq = s.indexOf('=', i);
    if (eq < 0) throw new Error(`bad labels in: ${line}`);
    const key = s.slice(i, eq);
    if (!LABEL.test(key) || key in labels) throw new Error(`bad or repeated label ${JSON.stringify(key)} in: ${line}`);
    if (s[eq + 1] !== '"') throw new Error(`unquoted label value in: ${line}`);
    let j = eq + 2;
    let v = '';
    for (; j < s.length && s[j] !== '"'; j++) {
      if (s[j] === '\\') {
        const n = s[++j];
        if (n === 'n') v += '\n';
        else if (n === '\\' || n === '"') v += n;
        else throw new Error(`bad escape in: ${line}`);
      } else v += s[j];
    }
    if (s[j] !== '"') throw new Error(`unterminated label value in: ${line}`);
    labels[key] = v;
    i = j + 1;
    if (s[i] === ',') i++;
    else if (i !== s.length) throw new Error(`expected , between labels in: ${line}`);
  }
  return labels;
}

const familyOf = (sample: string, f: Family): boolean => {
  if (sample === f.name) return f.type !== 'histogram';
  if (f.type === 'histogram') return [`${f.name}_bucket`, `${f.name}_sum`, `${f.name}_count`].includes(sample);
  if (f.type === 'summary') return [`${f.name}_sum`, `${f.name}_count`].includes(sample);
  return false;
};

export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const series = new Set<string>();
  let current: Family | null = null;
  let help = new Map<string, string>();
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  for (const line of text.slice(0, -1).split('\n')) {
    if (line === '') continue;
    let m: RegExpExecArray | null;
    if ((m = /^# HELP (\S+) (.*)$/.exec(line))) {
      if (!NAME.test(m[1]!)) throw new Error(`bad name in: ${line}`);
      help.set(m[1]!, m[2]!);
      continue;
    }
    if ((m = /^# TYPE (\S+) (\S+)$/.exec(line))) {
      if (!NAME.test(m[1]!) || !TYPES.has(m[2]!)) throw new Error(`bad TYPE line: ${line}`);
      if (families.has(m[1]!)) throw new Error(`family declared twice: ${line}`);
      current = { name: m[1]!, type: m[2] as Family['type'], help: help.get(m[1]!) ?? '', samples: [] };
      families.set(current.name, current);
      continue;
    }
    if (line.startsWith('#')) throw new Error(`unexpected comment: ${line}`);
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const [, name, rawLabels, value] = m;
    if (!current || !familyOf(name!, current)) throw new Error(`sample outside its family (TYPE first): ${line}`);
    const labels = rawLabels ? parseLabels(rawLabels, line) : {};
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (series.has(key)) throw new Error(`series repeated: ${line}`);
    series.add(key);
    current.samples.push({ name: name!, labels, value: parseValue(value!, line) });
  }
  for (const f of families.values()) {
    if (f.type === 'counter' && !f.name.endsWith('_total')) throw new Error(`counter ${f.name} must end in _total`);
  }
  return families;
}

/** The value of one sample (name and labels exactly), or undefined. */
export function sampleValue(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const f of families.values()) {
    for (const s of f.samples) {
      if (s.name !== name) continue;
      const keys = Object.keys(s.labels);
      if (keys.length === Object.keys(labels).length && keys.every((k) => s.labels[k] === labels[k])) return s.value;
    }
  }
  return undefined;
}

/** The sum of every sample of `name` whose labels include `labels`. */
export function sampleSum(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  let n = 0;
  for (const f of families.values()) {
    for (const s of f.samples) if (s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) n += s.value;
  }
  return n;
}

export async function scrape(url: string): Promise<Map<string, Family>> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status}`);
  if (!/^text\/plain; version=0\.0\.4/.test(res.headers.get('content-type') ?? '')) throw new Error(`content-type ${res.headers.get('content-type')}`);
  return parseExposition(await res.text());
}
