/**
 * A strict parser of the Prometheus text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format), stricter than Prometheus itself
 * where the conventions ask for it: every sample belongs to a family declared once by `# TYPE` (and at most one
 * `# HELP`) before its samples, a family's samples are contiguous, no series repeats, counters are named `*_total`,
 * histogram buckets carry `le`, are cumulative and end with `+Inf` equal to `_count`.
 */

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Family {
  readonly name: string;
  readonly type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help: string | undefined;
  readonly samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const FLOAT = /^[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|Inf|NaN)$/;

export function parsePrometheusText(text: string): Map<string, Family> {
  if (text !== '' && !text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  const families = new Map<string, Family>();
  const helpSeen = new Set<string>();
  const series = new Set<string>();
  const closed = new Set<string>();
  let current: string | undefined;
  const lines = text.split('\n').slice(0, -1);
  lines.forEach((line, index) => {
    const at = `line ${index + 1}: ${JSON.stringify(line)}`;
    if (line.trim() === '') return;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
      if (!m) {
        if (/^#\s*(HELP|TYPE)\b/.test(line)) throw new Error(`malformed ${at}`);
        return; // a comment
      }
      const [, kind, name, rest = ''] = m as unknown as [string, string, string, string | undefined];
      if (!METRIC_NAME.test(name)) throw new Error(`bad metric name in ${at}`);
      if (kind === 'HELP') {
        if (helpSeen.has(name)) throw new Error(`second HELP for ${name} at ${at}`);
        helpSeen.add(name);
        for (let i = 0; i < rest.length; i++) if (rest[i] === '\\' && !['\\', 'n'].includes(rest[++i] ?? '')) throw new Error(`bad escape in HELP at ${at}`);
        const family = families.get(name);
        if (family) family.help = rest;
        return;
      }
      if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) throw new Error(`bad type in ${at}`);
      if (families.has(name)) throw new Error(`second TYPE for ${name} at ${at}`);
      if (rest === 'counter' && !name.endsWith('_total')) throw new Error(`counter ${name} is not named *_total`);
      if (current !== undefined) closed.add(current);
      families.set(name, { name, type: rest as Family['type'], help: undefined, samples: [] });
      current = name;
      return;
    }
    const sample = parseSample(line, at);
    const family = familyOf(sample.name, families);
    if (!family) throw new Error(`sample of an undeclared family at ${at}`);
    if (closed.has(family.name) || family.name !== current) throw new Error(`samples of ${family.name} are not contiguous at ${at}`);
    const key = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`;
    if (series.has(key)) throw new Error(`repeated series at ${at}`);
    series.add(key);
    family.samples.push(sample);
  });
  for (const name of helpSeen) if (!families.has(name)) throw new Error(`HELP for ${name} without TYPE`);
  for (const family of families.values()) if (family.type === 'histogram') checkHistogram(family);
  return families;
}

function familyOf(name: string, families: Map<string, Family>): Family | undefined {
  const exact = families.get(name);
  if (exact && exact.type !== 'histogram') return exact;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!name.endsWith(suffix)) continue;
    const family = families.get(name.slice(0, -suffix.length));
    if (family?.type === 'histogram' || (family?.type === 'summary' && suffix !== '_bucket')) return family;
  }
  return undefined;
}

function parseSample(line: string, at: string): Sample {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)(?: (-?\d+))?$/.exec(line);
  if (!m) throw new Error(`malformed sample ${at}`);
  const [, name, rawLabels, rawValue] = m as unknown as [string, string, string | undefined, string];
  if (!FLOAT.test(rawValue)) throw new Error(`bad value in ${at}`);
  const value = /Inf$/.test(rawValue) ? (rawValue.startsWith('-') ? -Infinity : Infinity) : Number(rawValue);
  return { name, labels: rawLabels === undefined ? {} : parseLabels(rawLabels.slice(1, -1), at), value };
}

function parseLabels(text: string, at: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    if (eq < 0) throw new Error(`bad label in ${at}`);
    const name = text.slice(i, eq);
    if (!LABEL_NAME.test(name) || name.startsWith('__')) throw new Error(`bad label name ${name} in ${at}`);
    if (name in labels) throw new Error(`repeated label ${name} in ${at}`);
    if (text[eq + 1] !== '"') throw new Error(`unquoted label value in ${at}`);
    let value = '';
    let j = eq + 2;
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === '\n') throw new Error(`raw newline in a label value in ${at}`);
      if (text[j] !== '\\') {
        value += text[j];
        continue;
      }
      const next = text[++j];
      if (next === '\\') value += '\\';
      else if (next === '"') value += '"';
      else if (next === 'n') value += '\n';
      else throw new Error(`bad escape in a label value in ${at}`);
    }
    if (j >= text.length) throw new Error(`unterminated label value in ${at}`);
    labels[name] = value;
    i = j + 1;
    if (i < text.length) {
      if (text[i] !== ',') throw new Error(`expected a comma between labels in ${at}`);
      i += 1;
    }
  }
  return labels;
}

function checkHistogram(family: Family): void {
  const groups = new Map<string, { buckets: [number, number][]; count?: number; sum?: number }>();
  for (const s of family.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const group = groups.get(key) ?? { buckets: [] };
    groups.set(key, group);
    if (s.name.endsWith('_bucket')) {
      if (le === undefined || !FLOAT.test(le)) throw new Error(`${family.name}: a bucket without a valid le`);
      group.buckets.push([le === '+Inf' ? Infinity : Number(le), s.value]);
    } else if (s.name.endsWith('_count')) group.count = s.value;
    else group.sum = s.value;
  }
  for (const [key, g] of groups) {
    const last = g.buckets.at(-1);
    if (!last || last[0] !== Infinity) throw new Error(`${family.name}${key}: no +Inf bucket`);
    if (g.count === undefined || g.sum === undefined) throw new Error(`${family.name}${key}: _count or _sum missing`);
    if (last[1] !== g.count) throw new Error(`${family.name}${key}: +Inf bucket differs from _count`);
    for (let i = 1; i < g.buckets.length; i++) {
      if (g.buckets[i]![0] <= g.buckets[i - 1]![0] || g.buckets[i]![1] < g.buckets[i - 1]![1]) throw new Error(`${family.name}${key}: buckets not increasing`);
    }
  }
}
