/**
 * `pnpm bench`: Tributary's benchmarks, with Node-RED measured in the same run where it applies.
 * Each engine scenario runs in a fresh child process so that peak RSS is its own.
 *
 * Env: RUNS (3) runs per engine scenario (median reported), BENCH_MESSAGES (1,000,000),
 *      NODE_RED=0 to skip Node-RED, NODE_RED_RUNS (1), BENCH_ONLY=engine,node-red,watchers,kafka,web-io,editor.
 */
import { spawn, fork } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchFlow, fanoutFlow, linearFlow, type EngineBenchResult } from './engine-bench.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../../../..');
const sharedDir = process.env.TRIBUTARY_SHARED_DIR ?? resolve(repoRoot, '../shared');

const NODE_RED_NATIVE_REFERENCE = 414_000;

async function child(scenario: string, count: number): Promise<void> {
  const result =
    scenario === 'fanout'
      ? await benchFlow('fan-out', fanoutFlow(count), 'count')
      : await benchFlow('linear', linearFlow(count), 'count');
  process.send?.(result);
}

function runChild(scenario: string, count: number): Promise<EngineBenchResult> {
  return new Promise((resolveResult, reject) => {
    const proc = fork(fileURLToPath(import.meta.url), ['--child', scenario, String(count)], { stdio: 'inherit' });
    let result: EngineBenchResult | undefined;
    proc.on('message', (message) => (result = message as EngineBenchResult));
    proc.on('exit', (code) => (result ? resolveResult(result) : reject(new Error(`${scenario} bench exited ${code}`))));
  });
}

const median = <T>(items: T[], key: (t: T) => number): T =>
  [...items].sort((a, b) => key(a) - key(b))[Math.floor(items.length / 2)]!;

interface NodeRedFigures {
  function?: number;
  native?: number;
  functionFanout?: number;
  nativeFanout?: number;
  note?: string;
}

function runNodeRed(): Promise<NodeRedFigures> {
  const script = join(sharedDir, 'bench/node-red/run.sh');
  if (!existsSync(script)) return Promise.resolve({ note: `not run: ${script} not found (set TRIBUTARY_SHARED_DIR)` });
  const workDir = process.env.NODE_RED_BENCH_DIR ?? join(repoRoot, '.cache/node-red-bench');
  mkdirSync(workDir, { recursive: true });
  return new Promise((resolveFigures) => {
    const proc = spawn('bash', [script], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: {
        ...process.env,
        NODE_RED_BENCH_DIR: workDir,
        RUNS: process.env.NODE_RED_RUNS ?? '1',
        SCENARIOS: 'linear-chunked,custom-linear,fanout-chunked,custom-fanout',
      },
    });
    proc.on('exit', (code) => {
      try {
        const latest = JSON.parse(readFileSync(join(workDir, 'results/latest.json'), 'utf8')) as {
          results: Record<string, { summary: { srcMsgsPerSec?: number } }>;
        };
        const rate = (id: string) => Math.round(latest.results[id]?.summary.srcMsgsPerSec ?? 0) || undefined;
        resolveFigures({
          function: rate('linear-chunked'),
          native: rate('custom-linear'),
          functionFanout: rate('fanout-chunked'),
          nativeFanout: rate('custom-fanout'),
          ...(code === 0 ? {} : { note: `run.sh exited ${code}` }),
        });
      } catch (error) {
        resolveFigures({ note: `no Node-RED results (${(error as Error).message})` });
      }
    });
  });
}

type Section = (results: Record<string, unknown>) => Promise<void>;

async function optional(module: string, fn: string): Promise<((...args: unknown[]) => Promise<unknown>) | undefined> {
  const path = join(here, `${module}.js`);
  if (!existsSync(path)) return undefined;
  const mod = (await import(path)) as Record<string, unknown>;
  return mod[fn] as ((...args: unknown[]) => Promise<unknown>) | undefined;
}

async function main(): Promise<void> {
  const only = process.env.BENCH_ONLY?.split(',');
  const want = (name: string) => !only || only.includes(name);
  const count = Number(process.env.BENCH_MESSAGES ?? 1_000_000);
  const runs = Number(process.env.RUNS ?? 3);
  const results: Record<string, unknown> = {
    meta: { date: new Date().toISOString(), node: process.version, messages: count, runs },
  };
  const lines: string[] = [];

  const sections: [string, Section][] = [
    [
      'engine',
      async (out) => {
        for (const scenario of ['linear', 'fanout']) {
          const all: EngineBenchResult[] = [];
          for (let i = 0; i < runs; i++) all.push(await runChild(scenario, count));
          const m = median(all, (r) => r.msgsPerSec);
          out[`engine-${scenario}`] = { median: m, runs: all.map((r) => r.msgsPerSec) };
          lines.push(
            `tributary ${m.scenario.padEnd(8)} ${fmt(m.msgsPerSec)} msgs/s (delivered ${fmt(m.deliveredPerSec)}/s)  p50 ${m.p50Ms} ms  p99 ${m.p99Ms} ms  peak RSS ${m.peakRssMB} MB  runs: ${all.map((r) => fmt(r.msgsPerSec)).join(', ')}`,
          );
        }
      },
    ],
    [
      'node-red',
      async (out) => {
        if (process.env.NODE_RED === '0') return;
        const nr = await runNodeRed();
        out['node-red'] = nr;
        const ours = (out['engine-linear'] as { median: EngineBenchResult } | undefined)?.median.msgsPerSec;
        const oursFan = (out['engine-fanout'] as { median: EngineBenchResult } | undefined)?.median.msgsPerSec;
        const ratio = (a?: number, b?: number) => (a && b ? `${(a / b).toFixed(1)}×` : 'n/a');
        lines.push(
          `node-red linear   function nodes ${fmt(nr.function)} msgs/s, native nodes ${fmt(nr.native)} msgs/s ${nr.note ?? ''}`,
        );
        lines.push(
          `node-red fan-out  function nodes ${fmt(nr.functionFanout)} msgs/s, native nodes ${fmt(nr.nativeFanout)} msgs/s`,
        );
        lines.push(
          `ratio linear:  ${ratio(ours, nr.native)} Node-RED native (target ≥ 10×), ${ratio(ours, nr.function)} Node-RED function; fan-out: ${ratio(oursFan, nr.nativeFanout)} native`,
        );
        out.ratio = {
          linearVsNative: ours && nr.native ? ours / nr.native : undefined,
          linearVsFunction: ours && nr.function ? ours / nr.function : undefined,
          fanoutVsNative: oursFan && nr.nativeFanout ? oursFan / nr.nativeFanout : undefined,
          linearVsNativeReference: ours ? ours / NODE_RED_NATIVE_REFERENCE : undefined,
        };
      },
    ],
    [
      'watchers',
      async (out) => {
        const fn = await optional('bench-watchers', 'runWatchersBench');
        if (!fn) return;
        const r = (await fn()) as Record<string, number>;
        out.watchers = r;
        lines.push(
          `watchers ${Object.entries(r)
            .map(([k, v]) => `${k}=${fmt(v)}`)
            .join('  ')}`,
        );
      },
    ],
    [
      'kafka',
      async (out) => {
        const fn = await optional('kafka-pipeline', 'runKafkaBench');
        if (!fn) return;
        const r = (await fn()) as Record<string, number | number[]>;
        out.kafka = r;
        const pct = r.tributary_vs_hand_written_pct as number;
        lines.push(
          `kafka    source → function → sink, ${fmt(r.messages as number)} msgs, at-least-once: tributary ${fmt(r.tributary_msgs_per_s as number)} msgs/s, hand-written kafkajs loop ${fmt(r.hand_written_msgs_per_s as number)} msgs/s → ${pct}% (target ≥ 80%)  runs: ${(r.tributary_runs as number[]).map(fmt).join(', ')} / ${(r.hand_written_runs as number[]).map(fmt).join(', ')}`,
        );
      },
    ],
    [
      'web-io',
      async (out) => {
        const fn = await optional('web-io-bench', 'runWebIoBench');
        if (!fn) return;
        const r = (await fn()) as Record<string, number>;
        out['web-io'] = r;
        lines.push(
          `web-io   websocket-source → function → counter, ${fmt(r.ws_frames)} frames from one ws client: tributary ${fmt(r.ws_tributary_frames_per_s)} frames/s, bare ws server loop ${fmt(r.ws_bare_frames_per_s)} frames/s → ${r.ws_tributary_vs_bare_pct}% (target ≥ 70%)`,
        );
        lines.push(
          `web-io   sse-endpoint fan-out ${fmt(r.sse_events_per_s)} events/s to ${r.sse_clients} clients: ${fmt(r.sse_delivered_per_client)} events per client, latency p50 ${r.sse_p50_ms} ms p99 ${r.sse_p99_ms} ms max ${r.sse_max_ms} ms, dropped clients ${r.sse_dropped_clients}, peak RSS ${r.sse_peak_rss_mb} MB`,
        );
      },
    ],
    [
      'editor',
      async (out) => {
        const script = join(repoRoot, 'apps/editor/bench/canvas-bench.mjs');
        if (!existsSync(script)) return;
        const figures = await new Promise<string>((resolveOut) => {
          const proc = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
          let text = '';
          proc.stdout.on('data', (d: Buffer) => (text += d.toString()));
          proc.on('exit', () => resolveOut(text));
        });
        const all = figures.trim().split('\n');
        const last = all.pop() ?? '';
        try {
          out.editor = JSON.parse(last) as unknown;
          // The script's own table (open time, pan fps, tick cost against the targets).
          lines.push(...all.filter((line) => line.trim() !== '').map((line) => `editor   ${line}`));
        } catch {
          lines.push(`editor   no figures (${last.slice(0, 200)})`);
        }
      },
    ],
  ];

  for (const [name, section] of sections) {
    if (!want(name)) continue;
    console.error(`\n▶ bench: ${name}`);
    try {
      await section(results);
    } catch (error) {
      lines.push(`${name}: failed: ${(error as Error).message}`);
      results[name] = { error: (error as Error).message };
    }
  }

  const outDir = join(repoRoot, 'bench-results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'latest.json'), JSON.stringify(results, null, 2) + '\n');
  console.log('\n' + lines.join('\n'));
  console.log(`\nJSON: ${join(outDir, 'latest.json')}`);
  console.log(JSON.stringify(results));
}

function fmt(n: number | undefined): string {
  return n === undefined ? 'n/a' : Math.round(n).toLocaleString('en-US');
}

if (process.argv[2] === '--child') {
  await child(process.argv[3]!, Number(process.argv[4]));
} else {
  await main();
}
