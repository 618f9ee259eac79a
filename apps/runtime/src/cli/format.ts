import type { FlowStatsSnapshot, FlowDocument } from '@tributary/shared';

/** Human-sized numbers for a terminal table: 1234567 → "1.23M". */
export function compact(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1e9) return `${(value / 1e9).toFixed(2)}G`;
  if (abs >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (abs >= 1e4) return `${(value / 1e3).toFixed(1)}k`;
  if (Number.isInteger(value)) return String(value);
  return value.toFixed(1);
}

export function ms(value: number): string {
  if (value === 0) return '-';
  if (value < 1) return `${(value * 1000).toFixed(0)}µs`;
  if (value < 1000) return `${value.toFixed(value < 10 ? 2 : 0)}ms`;
  return `${(value / 1000).toFixed(1)}s`;
}

const HEADERS = ['node', 'type', 'state', 'in', 'out', 'errors', 'dropped', 'msg/s', 'p50', 'p99', 'queue'];

/** A fixed-width table of every node's figures, in the flow's node order. */
export function statsTable(flow: FlowDocument, snapshot: FlowStatsSnapshot): string[] {
  const rows: string[][] = [HEADERS];
  for (const node of flow.nodes) {
    const s = snapshot.nodes[node.id];
    if (!s) continue;
    const fill = Object.values(s.queues).reduce((max, q) => Math.max(max, q.fill), 0);
    const hasQueue = Object.keys(s.queues).length > 0;
    rows.push([
      node.id,
      node.type,
      s.state,
      compact(s.in),
      compact(s.out),
      compact(s.errors),
      compact(s.dropped),
      compact(Math.round(s.rate1s)),
      ms(s.latencyMs.p50),
      ms(s.latencyMs.p99),
      hasQueue ? `${Math.round(fill * 100)}%` : '',
    ]);
  }
  const widths = HEADERS.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((row) =>
    row.map((cell, i) => (i < 3 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '),
  );
}
