import { compact, latency } from './format.js';

/** Drops the zeros a fixed number of digits leaves: "12.0" → "12", "0.50" → "0.5". */
const trim = (text: string) => (text.includes('.') ? text.replace(/\.?0+$/, '') : text);

/** A plain figure for axes and legends, as short as stays readable (0.042, 3.5, 120, 12.3k). */
export function figure(value: number): string {
  const abs = Math.abs(value);
  if (abs === 0) return '0';
  if (abs >= 1e4) return compact(value);
  if (abs >= 100) return String(Math.round(value));
  if (abs >= 1) return trim(value.toFixed(1));
  return trim(value.toPrecision(2));
}

export const perSecond = (value: number) => `${figure(value)}/s`;
export const millis = (value: number) => latency(value);
export const percent = (value: number) => `${figure(value)}%`;
export const messages = (value: number) => `${figure(value)} msgs`;

/** Seconds of lag: "4.2s", "75s", "12.5m", "3.1h". */
export function seconds(value: number): string {
  const abs = Math.abs(value);
  if (abs < 100) return `${figure(value)}s`;
  if (abs < 6000) return `${figure(value / 60)}m`;
  return `${figure(value / 3600)}h`;
}

const two = (n: number) => String(n).padStart(2, '0');

/** Local wall-clock time with milliseconds: "14:03:07.215". */
export function clockTime(ms: number): string {
  const d = new Date(ms);
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

/** JSON that survives bigints and cycles: a tapped value must always print. */
function safeStringify(value: unknown, indent?: number): string {
  const seen = new WeakSet<object>();
  try {
    return (
      JSON.stringify(
        value,
        (_key, v: unknown) => {
          if (typeof v === 'bigint') return `${v}n`;
          if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) return `<${v.byteLength} bytes>`;
          if (typeof v === 'object' && v !== null) {
            if (seen.has(v)) return '[circular]';
            seen.add(v);
          }
          return v;
        },
        indent,
      ) ?? 'undefined'
    );
  } catch (e) {
    return `[unprintable: ${(e as Error).message}]`;
  }
}

/** A message value on one line, cut to `max` characters (the collapsed view). */
export function previewValue(value: unknown, max = 160): string {
  const text = typeof value === 'string' ? value : safeStringify(value);
  const line = text.replace(/\s*\n\s*/g, ' ');
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** A message value as indented JSON (strings as they are). */
export function prettyValue(value: unknown): string {
  return typeof value === 'string' ? value : safeStringify(value, 2);
}
