#!/usr/bin/env node
/**
 * Editor canvas benchmark: a 1,000-node, 1,000-edge flow running on a real `tributary serve`, opened
 * in Debian Chromium (headless, software rendering), with live stats arriving every second.
 *
 * Run after `pnpm exec turbo run build` (it needs apps/runtime/dist and apps/editor/dist):
 *   node apps/editor/bench/canvas-bench.mjs      or  BENCH_ONLY=editor pnpm bench
 * Env: OPEN_RUNS (5) open runs, median reported; PAN_SECONDS (5) and PAN_RUNS (3) per zoom, median
 *      run reported; TICK_SECONDS (8); BENCH_EDITOR_DIR (another build of the editor, to compare
 *      two builds on the same machine state); CHROMIUM_PATH (/usr/bin/chromium); BENCH_SCREENSHOTS=0 to
 *      skip the screenshots (apps/editor/test-results/bench-1000-*.png). Diagnostics, to find where
 *      the time goes: BENCH_PROFILE=tick|pan|zoom1|mid|glance prints a JS CPU profile of that
 *      scenario (build the editor with `vite build --minify false` to read it), BENCH_TRACE=<same>
 *      the Chromium trace totals (BENCH_TRACE=1: the pan at fit zoom).
 *
 * What is measured (all inside the page, with performance.now()); a second flow of 200 nodes is
 * then opened at fit zoom, where each node shows its rate (the "glance" detail), and panned too:
 *
 * What is measured for the 1,000-node flow (all inside the page, with performance.now()):
 * - open: from the `change` event of the flow picker (user picks the flow in an editor that has
 *   loaded) to the first frame painted after all 1,000 `.react-flow__node` elements are in the DOM,
 *   measured (none `visibility: hidden`) and framed by fit-view (viewport scale < 1). It includes
 *   the HTTP fetch of the flow, building the React Flow graph, the render, measuring and fit-view.
 *   Each run is a fresh page load; median of OPEN_RUNS.
 * - pan: requestAnimationFrame callbacks counted while the view is dragged with mouse events
 *   (d3-zoom's own handlers, one move per frame) for PAN_SECONDS, PAN_RUNS times at each of: fit
 *   view (all 1,000 nodes on screen, circling), zoom 0.32 (the farthest zoom that still draws titles
 *   and React Flow edges, ~150 nodes on screen) and zoom 1 (live figures on each node), both moving
 *   across the flow so nodes enter and leave the view; all while the flow runs and stats arrive
 *   every second. Median run's fps, worst and p95 frame intervals.
 * - tick: cost of each `flow:stats` message in the page: the socket message handler plus the
 *   React render/commit it causes (to the next macrotask), and to the next painted frame; and the
 *   long tasks (> 50 ms) seen, and the editor's component renders per tick (src/render-probe.ts),
 *   while idle for TICK_SECONDS at fit view and at zoom 1.
 *
 * The last line of stdout is one JSON object with the figures (read by apps/runtime's run-bench).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, loadavg, cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { chromiumArgs, chromiumPath } from './chromium.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const editorDir = resolve(here, '..');
const cli = resolve(editorDir, '../runtime/dist/cli.js');
const results = join(editorDir, 'test-results');

const GROUPS = 250; // 4 nodes and 4 edges each
const OPEN_RUNS = Number(process.env.OPEN_RUNS ?? 5);
const PAN_MS = Number(process.env.PAN_SECONDS ?? 5) * 1000;
const TICK_MS = Number(process.env.TICK_SECONDS ?? 8) * 1000;
const PAN_RUNS = Number(process.env.PAN_RUNS ?? 3);
const VIEWPORT = { width: 1280, height: 800 };
const TARGET_OPEN_MS = 1500;
const TARGET_FPS = 45;
const FLOW_ID = 'bench-1000';
/** The mid-sized scenario: 50 groups, 200 nodes, whose figures must show at fit zoom. */
const MID_FLOW_ID = 'bench-200';
const TARGET_MID_FPS = 50;
const SCREENSHOTS = process.env.BENCH_SCREENSHOTS !== '0';
/** Linux's USER_HZ: /proc CPU times are in these ticks. */
const CLOCK_TICKS = 100;
let runtimePid = -1;

const log = (text) => console.error(`[canvas-bench] ${text}`);

/**
 * 250 diamonds: a rate-limited source (sequence at 2 msgs/s, or a 1 s timer) feeds a map and a
 * filter (every third group a function), both feed a counter. 1,000 nodes, 1,000 edges, ~450 msgs/s
 * in all: the runtime stays light, and every node and edge has live figures.
 */
export function benchFlow(groups = GROUPS, id = FLOW_ID, COLS = 8) {
  const nodes = [];
  const edges = [];
  for (let g = 0; g < groups; g++) {
    const x0 = (g % COLS) * 860;
    const y0 = Math.floor(g / COLS) * 230;
    const src = `src-${g}`;
    const map = `map-${g}`;
    const mid = g % 3 === 0 ? `fn-${g}` : `filter-${g}`;
    const sink = `count-${g}`;
    nodes.push(
      g % 2 === 0
        ? { id: src, type: 'sequence', typeVersion: 1, position: { x: x0, y: y0 + 55 }, config: { rate: 2 } }
        : { id: src, type: 'timer', typeVersion: 1, position: { x: x0, y: y0 + 55 }, config: { intervalMs: 1000 } },
      { id: map, type: 'map', typeVersion: 1, position: { x: x0 + 280, y: y0 }, config: { value: 'value' } },
      g % 3 === 0
        ? {
            id: mid,
            type: 'function',
            typeVersion: 1,
            position: { x: x0 + 280, y: y0 + 110 },
            config: { code: 'return msg;' },
          }
        : {
            id: mid,
            type: 'filter',
            typeVersion: 1,
            position: { x: x0 + 280, y: y0 + 110 },
            config: { expression: 'value !== null' },
          },
      { id: sink, type: 'counter', typeVersion: 1, position: { x: x0 + 560, y: y0 + 55 }, config: {} },
    );
    const edge = (source, target) => ({
      id: `${source}:out>${target}:in`,
      source,
      sourcePort: 'out',
      target,
      targetPort: 'in',
    });
    edges.push(edge(src, map), edge(src, mid), edge(map, sink), edge(mid, sink));
  }
  return { schemaVersion: 1, id, name: `Bench: ${groups * 4} nodes`, nodes, edges };
}

function startRuntime(dataDir) {
  const editor = process.env.BENCH_EDITOR_DIR ? ['--editor-dir', process.env.BENCH_EDITOR_DIR] : [];
  const proc = spawn(process.execPath, [cli, 'serve', '--port', '0', '--data-dir', dataDir, ...editor], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = new Promise((resolveUrl, reject) => {
    const onData = (chunk) => {
      output += chunk.toString();
      const match = /runtime on (http:\/\/\S+)/.exec(output);
      if (match) resolveUrl(match[1]);
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.on('exit', (code) => reject(new Error(`runtime exited (${code}): ${output.slice(-2000)}`)));
  });
  return { proc, url };
}

async function api(base, method, path, body) {
  const res = await fetch(base + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 500)}`);
  return text ? JSON.parse(text) : undefined;
}

/**
 * Runs in the page before the app: long tasks, and the cost of every `flow:stats` socket message
 * (socket.io's websocket transport sets `ws.onmessage`; the wrapper times each stats message).
 */
export function instrument() {
  const bench = { longTasks: [], ticks: [] };
  window.__bench = bench;
  // Render counters of the editor's own components (src/render-probe.ts).
  window.__tributaryRenders = {};
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) bench.longTasks.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: true });
  const channel = new MessageChannel();
  const pending = [];
  channel.port1.onmessage = () => {
    const tick = pending.shift();
    if (tick) tick.toMacrotask = performance.now() - tick.start;
  };
  const proto = window.WebSocket.prototype;
  const desc = Object.getOwnPropertyDescriptor(proto, 'onmessage');
  Object.defineProperty(proto, 'onmessage', {
    configurable: true,
    get() {
      return desc.get.call(this);
    },
    set(fn) {
      desc.set.call(this, function (event) {
        const stats = typeof event.data === 'string' && event.data.startsWith('42["flow:stats"');
        if (!stats) return fn.call(this, event);
        const start = performance.now();
        const result = fn.call(this, event);
        const tick = { start, sync: performance.now() - start, bytes: event.data.length };
        bench.ticks.push(tick);
        pending.push(tick);
        channel.port2.postMessage(0);
        requestAnimationFrame(() => requestAnimationFrame(() => (tick.toFrame = performance.now() - start)));
        return result;
      });
    },
  });
}

/** In the page: resolves with timings once the flow picked in the picker is on screen (see the header). */
function armOpen(expected) {
  const select = document.querySelector('select[aria-label="Open flow"]');
  window.__open = new Promise((resolveOpen) => {
    select.addEventListener(
      'change',
      () => {
        const t0 = performance.now();
        const marks = {};
        const check = () => {
          const now = performance.now() - t0;
          const nodes = document.querySelectorAll('.react-flow__node');
          if (nodes.length > 0 && marks.firstNodes === undefined) marks.firstNodes = now;
          let measured = nodes.length >= expected;
          if (measured) for (const n of nodes) if (n.style.visibility === 'hidden') measured = false;
          if (measured && marks.measured === undefined) marks.measured = now;
          const viewport = document.querySelector('.react-flow__viewport');
          const scale = Number(/scale\(([^)]+)\)/.exec(viewport?.style.transform ?? '')?.[1] ?? 1);
          if (measured && scale < 1) {
            marks.framed = now;
            // This frame shows the flow; the next callback runs after it was painted.
            requestAnimationFrame(() => resolveOpen({ ...marks, painted: performance.now() - t0, scale }));
          } else if (now > 60_000) resolveOpen({ ...marks, timeout: true, count: nodes.length });
          else requestAnimationFrame(check);
        };
        requestAnimationFrame(check);
      },
      { capture: true, once: true },
    );
  });
}

/**
 * In the page: drags the pane with mouse events (one move per frame) for `ms`, counting frames.
 * `path(t)` gives the pointer offset from the start at time t (ms).
 */
export async function panInPage({ ms, mode }) {
  const pane = document.querySelector('.react-flow__pane');
  const box = pane.getBoundingClientRect();
  const cx = box.left + box.width / 2;
  const cy = box.top + box.height / 2;
  // Closed paths: the view ends where it started. 'circle': a 200 × 100 px ellipse every 2.5 s
  // (at fit zoom the flow stays mostly in view); 'across': out 320 px/s left and 60 px/s up for
  // half the time (at zoom 1 nodes keep entering the view), then back.
  const path =
    mode === 'circle'
      ? (t) => ({ x: Math.sin((t / 2500) * 2 * Math.PI) * 200, y: (Math.cos((t / 2500) * 2 * Math.PI) - 1) * 100 })
      : (t) => {
          const d = Math.min(t, ms - t) / 1000;
          return { x: -d * 320, y: -d * 60 };
        };
  const fire = (type, target, x, y) =>
    target.dispatchEvent(
      new MouseEvent(type, {
        bubbles: true,
        cancelable: true,
        view: window,
        clientX: x,
        clientY: y,
        button: 0,
        buttons: 1,
      }),
    );
  const bench = window.__bench;
  bench.longTasks.length = 0;
  bench.ticks.length = 0;
  fire('mousedown', pane, cx, cy);
  const frames = [];
  const t0 = performance.now();
  await new Promise((done) => {
    const step = (ts) => {
      frames.push(ts);
      const t = performance.now() - t0;
      const p = path(t);
      fire('mousemove', window, cx + p.x, cy + p.y);
      if (t < ms) requestAnimationFrame(step);
      else done();
    };
    requestAnimationFrame(step);
  });
  const last = frames.at(-1);
  fire('mouseup', window, cx, cy);
  const intervals = frames.slice(1).map((f, i) => f - frames[i]);
  intervals.sort((a, b) => a - b);
  const elapsed = last - frames[0];
  return {
    fps: ((frames.length - 1) / elapsed) * 1000,
    frames: frames.length,
    worstFrameMs: intervals.at(-1),
    p95FrameMs: intervals[Math.floor(intervals.length * 0.95)],
    framesOver33ms: intervals.filter((d) => d > 33.4).length,
    ticks: bench.ticks.length,
    longTasks: bench.longTasks.length,
    longestTaskMs: Math.max(0, ...bench.longTasks.map((l) => l.duration)),
    renderedNodes: document.querySelectorAll('.react-flow__node').length,
    renderedEdges: document.querySelectorAll('.react-flow__edge').length,
  };
}

/**
 * PAN_RUNS pans (the machine is shared: one run can meet another process's burst), each after
 * `prepare` set the view; the run with the median fps is reported, with every run's fps.
 */
async function panRuns(page, mode, prepare) {
  const runs = [];
  for (let i = 0; i < PAN_RUNS; i++) {
    await prepare();
    const cpu0 = chromiumCpuMs();
    const run = await page.evaluate(panInPage, { ms: PAN_MS, mode });
    const cpu1 = chromiumCpuMs();
    runs.push({ ...run, cpuMsPerFrame: cpu0 === undefined || cpu1 === undefined ? null : (cpu1 - cpu0) / run.frames });
  }
  const sorted = [...runs].sort((a, b) => a.fps - b.fps);
  const cpu = runs.map((r) => r.cpuMsPerFrame).sort((a, b) => a - b);
  return {
    ...sorted[Math.floor(sorted.length / 2)],
    runsFps: runs.map((r) => round(r.fps)),
    medianCpuMsPerFrame: cpu[Math.floor(cpu.length / 2)],
  };
}

/**
 * CPU time (ms) used so far by the Chromium processes this bench started (all of them: renderer,
 * compositor, raster), from /proc; undefined where there is none. Per frame, it is what a pan
 * costs whatever else the machine runs: the fps of a shared machine also counts waiting for a core.
 */
export function chromiumCpuMs(exclude = [runtimePid]) {
  if (!existsSync('/proc/self/stat')) return undefined;
  const procs = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after "(comm)": state, ppid, … utime (14th of the line) and stime (15th), in ticks.
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      procs.push({ pid: Number(pid), ppid: Number(rest[1]), ticks: Number(rest[11]) + Number(rest[12]) });
    } catch {
      // The process ended meanwhile.
    }
  }
  const mine = new Set([process.pid]);
  let total = 0;
  // Descendants of this process, but not the runtime (its own CPU is not the canvas's).
  for (let grew = true; grew;) {
    grew = false;
    for (const p of procs)
      if (!mine.has(p.pid) && mine.has(p.ppid) && !exclude.includes(p.pid)) {
        mine.add(p.pid);
        total += p.ticks;
        grew = true;
      }
  }
  return (total * 1000) / CLOCK_TICKS;
}

/** In the page: zooms to `target` around node `nodeId` with one wheel event (d3-zoom's handler). */
export function zoomTo({ target, nodeId }) {
  const viewport = document.querySelector('.react-flow__viewport');
  const scale = Number(/scale\(([^)]+)\)/.exec(viewport.style.transform)?.[1] ?? 1);
  const pane = document.querySelector('.react-flow__pane');
  const node = document.querySelector(`.react-flow__node[data-id="${nodeId}"]`).getBoundingClientRect();
  // React Flow's wheel delta: scale × 2^(-deltaY × 0.002) for pixel deltas.
  const deltaY = Math.log2(scale / target) / 0.002;
  pane.dispatchEvent(
    new WheelEvent('wheel', {
      bubbles: true,
      cancelable: true,
      view: window,
      deltaY,
      deltaMode: 0,
      clientX: node.left + node.width / 2,
      clientY: node.top + node.height / 2,
    }),
  );
}

function currentScale() {
  const viewport = document.querySelector('.react-flow__viewport');
  return Number(/scale\(([^)]+)\)/.exec(viewport.style.transform)?.[1] ?? 1);
}

/** In the page: records stats ticks and long tasks while idle for `ms`. */
async function idleTicks(ms) {
  const bench = window.__bench;
  bench.ticks.length = 0;
  bench.longTasks.length = 0;
  const before = { ...window.__tributaryRenders };
  await new Promise((r) => setTimeout(r, ms));
  const after = { ...window.__tributaryRenders };
  // Let the last tick's frame land.
  await new Promise((r) => setTimeout(r, 100));
  const done = bench.ticks.filter((t) => t.toFrame !== undefined);
  const pick = (key) => done.map((t) => t[key]).sort((a, b) => a - b);
  const median = (xs) => xs[Math.floor(xs.length / 2)] ?? null;
  const max = (xs) => (xs.length ? xs.at(-1) : null);
  const perTick = (name) => (done.length ? ((after[name] ?? 0) - (before[name] ?? 0)) / done.length : null);
  return {
    ticks: done.length,
    rendersPerTick: {
      Canvas: perTick('Canvas'),
      FlowNodeView: perTick('FlowNodeView'),
      StatsLine: perTick('StatsLine'),
      LiveEdge: perTick('LiveEdge'),
    },
    kbPerTick: done.length ? Math.round(done.reduce((s, t) => s + t.bytes, 0) / done.length / 1024) : null,
    syncMedianMs: median(pick('sync')),
    toMacrotaskMedianMs: median(pick('toMacrotask')),
    toMacrotaskMaxMs: max(pick('toMacrotask')),
    toFrameMedianMs: median(pick('toFrame')),
    toFrameMaxMs: max(pick('toFrame')),
    longTasks: bench.longTasks.length,
    longestTaskMs: Math.max(0, ...bench.longTasks.map((l) => l.duration)),
  };
}

/**
 * BENCH_PROFILE=<scenario> (JS CPU profile) or BENCH_TRACE=<scenario> (Chromium trace totals) for
 * one scenario: tick, pan (fit zoom; BENCH_TRACE=1 too), zoom1, mid, glance (200 nodes at fit).
 * Returns the function that stops and prints it, or undefined.
 */
async function diagnose(page, scenario) {
  const trace = process.env.BENCH_TRACE === '1' ? 'pan' : process.env.BENCH_TRACE;
  if (trace === scenario) return startTrace(page);
  if (process.env.BENCH_PROFILE === scenario) return startProfile(page);
  return undefined;
}

async function startProfile(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await cdp.send('Profiler.start');
  return async () => {
    const { profile } = await cdp.send('Profiler.stop');
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const self = new Map();
    const dt = profile.timeDeltas;
    profile.samples.forEach((id, i) => {
      const n = byId.get(id);
      const f = n.callFrame;
      const key = `${f.functionName || '(anon)'} ${f.url.split('/').pop()}:${f.lineNumber}`;
      self.set(key, (self.get(key) ?? 0) + (dt[i] ?? 0) / 1000);
    });
    for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 40))
      console.error(`${v.toFixed(0).padStart(8)} ms  ${k}`);
  };
}

async function startTrace(page) {
  const cdp = await page.context().newCDPSession(page);
  const events = [];
  cdp.on('Tracing.dataCollected', (e) => events.push(...e.value));
  await cdp.send('Tracing.start', {
    categories: 'devtools.timeline,disabled-by-default-devtools.timeline,blink,cc,gpu,viz',
    transferMode: 'ReportEvents',
  });
  return async () => {
    const done = new Promise((r) => cdp.once('Tracing.tracingComplete', r));
    await cdp.send('Tracing.end');
    await done;
    const threads = new Map();
    for (const e of events) if (e.ph === 'M' && e.name === 'thread_name') threads.set(`${e.pid}:${e.tid}`, e.args.name);
    // Wall time and thread (CPU) time: on a shared machine the wall time includes waiting for a core.
    const totals = new Map();
    for (const e of events) {
      if (e.ph !== 'X' || !e.dur) continue;
      const key = `${threads.get(`${e.pid}:${e.tid}`) ?? e.tid} | ${e.name}`;
      const t = totals.get(key) ?? { wall: 0, cpu: 0 };
      t.wall += e.dur / 1000;
      t.cpu += (e.tdur ?? 0) / 1000;
      totals.set(key, t);
    }
    const top = [...totals].sort((a, b) => b[1].cpu - a[1].cpu).slice(0, 40);
    console.error('    wall      cpu');
    for (const [k, v] of top)
      console.error(`${v.wall.toFixed(0).padStart(8)} ${v.cpu.toFixed(0).padStart(8)} ms  ${k}`);
  };
}

const round = (v, d = 1) => (typeof v === 'number' && Number.isFinite(v) ? Number(v.toFixed(d)) : v);
const roundAll = (o) =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'object' && v !== null ? v : round(v)]));

async function main() {
  for (const needed of [cli, join(editorDir, 'dist/index.html')])
    if (!existsSync(needed)) throw new Error(`${needed} is missing: run \`pnpm exec turbo run build\` first`);
  const executablePath = chromiumPath;
  const dataDir = mkdtempSync(join(tmpdir(), 'tributary-bench-data-'));
  const profileDir = mkdtempSync(join(tmpdir(), 'tributary-bench-profile-'));
  const homeDir = mkdtempSync(join(tmpdir(), 'tributary-bench-home-'));
  mkdirSync(results, { recursive: true });
  const runtime = startRuntime(dataDir);
  runtimePid = runtime.proc.pid ?? -1;
  let context;
  try {
    const base = await runtime.url;
    log(`runtime on ${base}`);
    const flow = benchFlow();
    await api(base, 'POST', '/api/flows', flow);
    const deployStart = Date.now();
    const record = await api(base, 'POST', `/api/flows/${FLOW_ID}/deploy`);
    log(
      `deployed ${flow.nodes.length} nodes / ${flow.edges.length} edges: ${record.state} in ${Date.now() - deployStart} ms`,
    );
    if (record.state !== 'running') throw new Error(`flow did not start: ${record.lastError ?? record.state}`);

    context = await chromium.launchPersistentContext(profileDir, {
      executablePath,
      headless: true,
      viewport: VIEWPORT,
      // Chromium writes crash reports and a dconf cache under HOME even with its own profile.
      env: { ...process.env, HOME: homeDir, XDG_CONFIG_HOME: homeDir, XDG_CACHE_HOME: homeDir },
      args: chromiumArgs,
    });
    await context.addInitScript(instrument);
    const page = context.pages()[0] ?? (await context.newPage());
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));

    const openPage = async () => {
      // The list of flows: the page opens no flow by itself there (the clock starts at the pick).
      await page.goto(`${base}/#/flows`);
      await page.reload();
      await page.locator('select[aria-label="Open flow"]').waitFor({ state: 'attached' });
      await page.locator(`select[aria-label="Open flow"] option[value="${FLOW_ID}"]`).waitFor({ state: 'attached' });
      // Let the page settle (fonts, first stats socket connect) before the clock starts.
      await page.waitForTimeout(300);
      await page.evaluate(armOpen, flow.nodes.length);
      await page.selectOption('select[aria-label="Open flow"]', FLOW_ID);
      return page.evaluate(() => window.__open);
    };

    const opens = [];
    for (let i = 0; i < OPEN_RUNS; i++) {
      const r = await openPage();
      if (r.timeout) throw new Error(`the flow did not open within 60 s (${r.count} nodes rendered)`);
      opens.push(r);
      log(
        `open run ${i + 1}: ${r.painted.toFixed(0)} ms (first nodes ${r.firstNodes?.toFixed(0)}, measured ${r.measured?.toFixed(0)}, framed ${r.framed?.toFixed(0)})`,
      );
    }
    const sortedOpen = [...opens].sort((a, b) => a.painted - b.painted);
    const medianOpen = sortedOpen[Math.floor(sortedOpen.length / 2)];

    // The last opened page stays: wait for live stats, then measure panning and ticks.
    await page.locator('[data-testid="flow-state"]', { hasText: 'running' }).waitFor();
    await page.waitForFunction(() => window.__bench.ticks.length >= 2, null, { timeout: 20_000 });
    await page.waitForTimeout(1000);
    const fitScale = await page.evaluate(currentScale);
    if (SCREENSHOTS) await page.screenshot({ path: join(results, 'bench-1000-fit.png') });
    const tickProfile = await diagnose(page, 'tick');
    const tickFit = await page.evaluate(idleTicks, TICK_MS);
    if (tickProfile) await tickProfile();
    log(`ticks at fit zoom: ${JSON.stringify(roundAll(tickFit))}`);
    const trace = await diagnose(page, 'pan');
    const fitView = async () => {
      await page.click('.react-flow__controls-fitview');
      await page.waitForTimeout(500);
    };
    const panFit = await panRuns(page, 'circle', fitView);
    if (trace) await trace();
    log(`pan at fit zoom (${fitScale.toFixed(3)}): ${JSON.stringify(roundAll(panFit))}`);

    // Zoomed in around a node in the middle of the flow (group 124: column 4, row 15 of 8 × 32):
    // at zoom 1 (a dozen full nodes with live figures), and just inside the "mid" detail level
    // (zoom 0.32: some 150 nodes with titles and React Flow edges, the most drawn at once).
    const zoomAt = (target) => async () => {
      await fitView();
      await page.evaluate(zoomTo, { target, nodeId: 'map-124' });
      await page.waitForTimeout(700);
    };
    await zoomAt(1)();
    const zoom1Scale = await page.evaluate(currentScale);
    if (SCREENSHOTS) await page.screenshot({ path: join(results, 'bench-1000-zoom1.png') });
    const tickZoom1 = await page.evaluate(idleTicks, TICK_MS);
    log(`ticks at zoom ${zoom1Scale.toFixed(2)}: ${JSON.stringify(roundAll(tickZoom1))}`);
    const zoom1Trace = await diagnose(page, 'zoom1');
    const panZoom1 = await panRuns(page, 'across', zoomAt(1));
    if (zoom1Trace) await zoom1Trace();
    log(`pan at zoom ${zoom1Scale.toFixed(2)}: ${JSON.stringify(roundAll(panZoom1))}`);
    await zoomAt(0.32)();
    const midScale = await page.evaluate(currentScale);
    if (SCREENSHOTS) await page.screenshot({ path: join(results, 'bench-1000-mid.png') });
    const midTrace = await diagnose(page, 'mid');
    const panMid = await panRuns(page, 'across', zoomAt(0.32));
    if (midTrace) await midTrace();
    log(`pan at zoom ${midScale.toFixed(2)}: ${JSON.stringify(roundAll(panMid))}`);

    // A mid-sized flow (200 nodes) fitted to the window: every node shows its rate and errors
    // (the "glance" detail level), and panning it must stay smooth.
    // Four groups a row: about as wide as tall, like a hand-drawn flow of this size.
    const midFlow = benchFlow(50, MID_FLOW_ID, 4);
    // BENCH_SKIP_MID=1: an older build without flow addresses (to compare the 1,000-node figures).
    const skipMid = process.env.BENCH_SKIP_MID === '1';
    let glanceScale = 0;
    let glanceShown = 0;
    let panGlance = { fps: 0, runsFps: [] };
    if (!skipMid) {
      await api(base, 'POST', '/api/flows', midFlow);
      const midRecord = await api(base, 'POST', `/api/flows/${MID_FLOW_ID}/deploy`);
      if (midRecord.state !== 'running') throw new Error(`200-node flow did not start: ${midRecord.state}`);
      await page.goto(`${base}/#/flows/${MID_FLOW_ID}`);
      await page.reload();
      await page.locator('[data-testid="node-count-49"]').waitFor({ state: 'attached', timeout: 90_000 });
      await fitView();
      await page.waitForFunction(
        (n) => [...document.querySelectorAll('.node-glance')].filter((e) => /\d\/s/.test(e.textContent)).length >= n,
        midFlow.nodes.length,
        { timeout: 30_000 },
      );
      glanceScale = await page.evaluate(currentScale);
      glanceShown = await page.evaluate(() => document.querySelectorAll('.node-glance').length);
      if (SCREENSHOTS) await page.screenshot({ path: join(results, 'bench-200-fit.png') });
      const glanceTrace = await diagnose(page, 'glance');
      panGlance = await panRuns(page, 'circle', fitView);
      if (glanceTrace) await glanceTrace();
      log(
        `200 nodes, pan at fit zoom (${glanceScale.toFixed(3)}), ${glanceShown} with figures: ${JSON.stringify(roundAll(panGlance))}`,
      );
    }
    const pan = (zoom, r, target = TARGET_FPS) => ({
      zoom: round(zoom, 3),
      ...roundAll(r),
      target,
      pass: r.fps >= target,
    });
    const figures = {
      nodes: flow.nodes.length,
      edges: flow.edges.length,
      viewport: `${VIEWPORT.width}x${VIEWPORT.height}`,
      cpus: cpus().length,
      loadavg1m: round(loadavg()[0], 2),
      open: {
        medianMs: round(medianOpen.painted, 0),
        runsMs: opens.map((o) => round(o.painted, 0)),
        medianFirstNodesMs: round(medianOpen.firstNodes, 0),
        medianMeasuredMs: round(medianOpen.measured, 0),
        targetMs: TARGET_OPEN_MS,
        pass: medianOpen.painted < TARGET_OPEN_MS,
      },
      panFit: pan(fitScale, panFit),
      panMid: pan(midScale, panMid),
      panZoom1: pan(zoom1Scale, panZoom1),
      panMidSizedFit: {
        nodes: midFlow.nodes.length,
        withFigures: glanceShown,
        ...pan(glanceScale, panGlance, TARGET_MID_FPS),
      },
      tickFit: roundAll(tickFit),
      tickZoom1: roundAll(tickZoom1),
      pageErrors: pageErrors.length,
    };

    const row = (label, value, target = '', pass = undefined) =>
      `${label.padEnd(46)} ${String(value).padStart(14)}   ${target.padEnd(8)} ${pass === undefined ? '' : pass ? 'ok' : 'MISSED'}`;
    console.log(
      `\nEditor canvas: ${figures.nodes} nodes, ${figures.edges} edges, live stats 1/s, headless Chromium ${figures.viewport}, ${figures.cpus} cores, load ${figures.loadavg1m}`,
    );
    console.log(row('measure', 'value', 'target'));
    console.log(row(`open (median of ${OPEN_RUNS}), ms`, figures.open.medianMs, '< 1500', figures.open.pass));
    console.log(row('  runs, ms', figures.open.runsMs.join(' ')));
    for (const [label, r] of [
      ['fit zoom, all nodes in view', figures.panFit],
      ['mid zoom', figures.panMid],
      ['zoom 1', figures.panZoom1],
    ]) {
      console.log(row(`pan at ${label} (${r.zoom}), fps`, r.fps, '>= 45', r.pass));
      console.log(row('  worst / p95 frame, ms', `${r.worstFrameMs} / ${r.p95FrameMs}`));
      console.log(row('  runs, fps', r.runsFps.join(' ')));
      console.log(row('  Chromium CPU per frame (median run), ms', r.medianCpuMsPerFrame));
    }
    const m = figures.panMidSizedFit;
    console.log(row(`200 nodes at fit zoom (${m.zoom}), figures on`, `${m.withFigures} nodes`));
    console.log(row('  pan, fps', m.fps, '>= 50', m.pass));
    console.log(row('  worst / p95 frame, ms', `${m.worstFrameMs} / ${m.p95FrameMs}`));
    console.log(row('  runs, fps', m.runsFps.join(' ')));
    console.log(row('  Chromium CPU per frame (median run), ms', m.medianCpuMsPerFrame));
    for (const [label, t] of [
      ['fit zoom', figures.tickFit],
      ['zoom 1', figures.tickZoom1],
    ]) {
      console.log(
        row(`stats tick at ${label}: handler+render, ms`, `${t.toMacrotaskMedianMs} / ${t.toMacrotaskMaxMs}`),
      );
      console.log(row('  to painted frame, median / max, ms', `${t.toFrameMedianMs} / ${t.toFrameMaxMs}`));
      console.log(row('  long tasks / longest, ms', `${t.longTasks} / ${t.longestTaskMs}`));
      console.log(
        row(
          '  renders per tick: canvas/node/stats/edge',
          ['Canvas', 'FlowNodeView', 'StatsLine', 'LiveEdge'].map((k) => t.rendersPerTick[k]).join('/'),
        ),
      );
    }
    if (pageErrors.length) console.log(`page errors: ${pageErrors.slice(0, 3).join(' | ')}`);
    console.log(JSON.stringify(figures));
  } finally {
    await context?.close().catch(() => undefined);
    runtime.proc.kill('SIGKILL');
    for (const dir of [dataDir, profileDir, homeDir]) rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(error);
    console.log(JSON.stringify({ error: error.message }));
    process.exitCode = 1;
  });
}
