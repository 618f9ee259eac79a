#!/usr/bin/env node
// One entry point for a fresh machine with only Node and npm: `npm start`, `npm test`, `npm run bench`.
// It installs what is missing (pnpm, workspace packages, and for tests Chromium, a Kafka broker and ElasticMQ),
// builds, then does the job. Node built-ins only: it runs before anything is installed.
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PNPM_VERSION = '12.21.0';
/**
 * Node flags of the runtime (and of the benchmarks, which run the engine in-process). A larger young
 * generation lets the many short-lived objects of a stream at full speed die there instead of being
 * copied and promoted: measured, a Kafka pipeline spends ~10 % less CPU per message.
 */
const RUNTIME_NODE_FLAGS = ['--max-semi-space-size=64'];
// .tools/node_modules/.bin first: turbo and the package scripts must find the local pnpm too.
const env = {
  ...process.env,
  PATH: [join(root, '.tools/node_modules/.bin'), process.env.PATH].join(delimiter),
  TURBO_TELEMETRY_DISABLED: '1',
  DO_NOT_TRACK: '1',
};
const started = Date.now();

function step(text) {
  const s = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
  console.error(`\x1b[36m[${s}s] ${text}\x1b[0m`);
}

function fail(text) {
  console.error(`\x1b[31m✖ ${text}\x1b[0m`);
  process.exit(1);
}

function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env, ...options });
  if (result.error) fail(`${cmd} ${args.join(' ')}: ${result.error.message}`);
  return result.status ?? 1;
}

function must(cmd, args, options) {
  const status = run(cmd, args, options);
  if (status !== 0) fail(`${cmd} ${args.join(' ')} exited with ${status}`);
}

function checkNode() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 19))
    fail(`Node ${process.versions.node} is too old: Tributary needs Node 20.19 or newer.`);
}

/** pnpm: the one on PATH if it is the pinned version, else a local copy in .tools (no global install needed). */
function ensurePnpm() {
  const probe = spawnSync('pnpm', ['--version'], { encoding: 'utf8', env });
  if (probe.status === 0 && probe.stdout.trim() === PNPM_VERSION) return 'pnpm';
  const local = join(root, '.tools/node_modules/.bin/pnpm');
  if (existsSync(local)) return local;
  step(`installing pnpm ${PNPM_VERSION} into .tools/ (once)`);
  mkdirSync(join(root, '.tools'), { recursive: true });
  // npm 11 takes install-script permissions from package.json only (a flag is refused for a
  // project-scoped install); older npm ignores the field.
  writeFileSync(join(root, '.tools/package.json'), '{ "private": true, "allowScripts": { "pnpm": true } }\n');
  must('npm', ['install', '--prefix', join(root, '.tools'), '--no-audit', '--no-fund', `pnpm@${PNPM_VERSION}`]);
  return local;
}

function install(pnpm) {
  step('installing workspace packages (pnpm install)');
  must(pnpm, ['install', '--frozen-lockfile']);
}

function build(pnpm) {
  step('building (turbo run build)');
  must(pnpm, ['exec', 'turbo', 'run', 'build', '--output-logs=errors-only']);
}

function isRoot() {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** The editor's end-to-end tests need a real Chromium; Debian's package is the one that runs here. */
function ensureChromium() {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean);
  if (candidates.some((p) => existsSync(p))) return;
  if (!isRoot() || !existsSync('/usr/bin/apt-get')) {
    fail(
      'Chromium is needed for the editor tests: install it (Debian: apt-get install chromium) or set CHROMIUM_PATH.',
    );
  }
  step('installing Chromium from apt (once, ~1 min)');
  must('apt-get', ['update', '-qq']);
  must('apt-get', ['install', '-y', '-qq', 'chromium', 'fonts-liberation'], {
    env: { ...env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

/**
 * The web I/O tests talk to peers Tributary did not write: Debian's python3-websockets, FastAPI and
 * uvicorn (run by /usr/bin/python3, not a pyenv one), and curl. Checked by importing them; installed once.
 */
function ensurePythonPeers() {
  const python = process.env.TRIBUTARY_PYTHON ?? '/usr/bin/python3';
  const check = () =>
    spawnSync(python, ['-c', 'import websockets, fastapi, uvicorn'], { stdio: 'ignore' }).status === 0;
  if (existsSync(python) && check() && existsSync('/usr/bin/curl')) return;
  if (!isRoot() || !existsSync('/usr/bin/apt-get')) {
    fail(
      'The web I/O tests need python3-websockets, python3-fastapi and python3-uvicorn (Debian: apt-get install them), or TRIBUTARY_PYTHON pointing at a python3 that has them.',
    );
  }
  step('installing python3-websockets, python3-fastapi, python3-uvicorn from apt (once)');
  must('apt-get', ['update', '-qq']);
  must(
    'apt-get',
    ['install', '-y', '-qq', 'python3', 'python3-websockets', 'python3-fastapi', 'python3-uvicorn', 'curl'],
    {
      env: { ...env, DEBIAN_FRONTEND: 'noninteractive' },
    },
  );
}

/** Sums the vitest JSON reports so the run ends with one "N passed, N failed" line. */
function summarise() {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const reports = [];
  const walk = (dir, depth) => {
    if (depth > 3 || !existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path, depth + 1);
      else if (entry.name.startsWith('vitest') && entry.name.endsWith('.json') && dir.endsWith('test-results'))
        reports.push(path);
    }
  };
  walk(join(root, 'apps'), 0);
  walk(join(root, 'packages'), 0);
  for (const file of reports) {
    try {
      const report = JSON.parse(readFileSync(file, 'utf8'));
      passed += report.numPassedTests ?? 0;
      failed += report.numFailedTests ?? 0;
      skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
    } catch {
      failed += 1;
      console.error(`unreadable test report: ${file}`);
    }
  }
  return { passed, failed, skipped };
}

/**
 * Starts the local broker unless KAFKA_BROKERS points at one; returns what stops it again (only
 * when this run started it, and not with KEEP_KAFKA=1).
 */
function startKafka(purpose) {
  const kafka = join(root, 'scripts/kafka/kafka.mjs');
  if (process.env.KAFKA_BROKERS || !existsSync(kafka)) return () => {};
  step(`starting a local Kafka broker for ${purpose}`);
  const status = spawnSync(process.execPath, [kafka, 'status'], { cwd: root, env, encoding: 'utf8' });
  const startedHere = status.status !== 0;
  must(process.execPath, [kafka, 'start']);
  return () => {
    if (startedHere && process.env.KEEP_KAFKA !== '1') run(process.execPath, [kafka, 'stop']);
  };
}

/**
 * Starts the local SQS-compatible server (ElasticMQ) unless SQS_ENDPOINT points at one; returns what
 * stops it again (only when this run started it, and not with KEEP_ELASTICMQ=1).
 */
function startElasticMq(purpose) {
  const script = join(root, 'scripts/elasticmq/elasticmq.mjs');
  if (process.env.SQS_ENDPOINT || !existsSync(script)) return () => {};
  step(`starting a local SQS server (ElasticMQ) for ${purpose}`);
  const status = spawnSync(process.execPath, [script, 'status'], { cwd: root, env, encoding: 'utf8' });
  const startedHere = status.status !== 0;
  must(process.execPath, [script, 'start']);
  return () => {
    if (startedHere && process.env.KEEP_ELASTICMQ !== '1') run(process.execPath, [script, 'stop']);
  };
}

async function main() {
  const command = process.argv[2];
  checkNode();
  const pnpm = ensurePnpm();
  switch (command) {
    case 'start': {
      install(pnpm);
      build(pnpm);
      const args = process.argv.slice(3);
      step('starting Tributary (Ctrl-C to stop)');
      const child = spawn(
        process.execPath,
        [
          ...RUNTIME_NODE_FLAGS,
          join(root, 'apps/runtime/dist/cli.js'),
          'serve',
          '--deploy',
          join(root, 'examples/demo.flow.json'),
          ...args,
        ],
        { cwd: root, stdio: 'inherit', env },
      );
      const forward = (signal) => child.kill(signal);
      process.on('SIGINT', forward);
      process.on('SIGTERM', forward);
      child.on('exit', (code) => process.exit(code ?? 0));
      return;
    }
    case 'test': {
      install(pnpm);
      ensureChromium();
      ensurePythonPeers();
      build(pnpm);
      const stopKafka = startKafka('the tests');
      const stopElasticMq = startElasticMq('the tests');
      step('lint, typecheck and tests (turbo run lint typecheck test test:e2e)');
      const status = run(pnpm, [
        'exec',
        'turbo',
        'run',
        'lint',
        'typecheck',
        'test',
        'test:e2e',
        '--concurrency=1',
        '--continue',
      ]);
      step('checking formatting (prettier --check)');
      const format = run(pnpm, ['exec', 'prettier', '--check', '--log-level=warn', '.']);
      stopElasticMq();
      stopKafka();
      const { passed, failed, skipped } = summarise();
      console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
      if (format !== 0) console.error('formatting: run `pnpm format` to fix the files listed above');
      process.exit(status !== 0 || format !== 0 || failed > 0 ? 1 : 0);
      return;
    }
    case 'bench': {
      install(pnpm);
      build(pnpm);
      const stopKafka = startKafka('the Kafka benchmark');
      const stopElasticMq = startElasticMq('the SQS benchmark');
      step('running benchmarks');
      const status = run(process.execPath, [...RUNTIME_NODE_FLAGS, join(root, 'apps/runtime/dist/bench/run-bench.js')]);
      stopElasticMq();
      stopKafka();
      process.exit(status);
      return;
    }
    default:
      fail(`usage: node scripts/dev.mjs start|test|bench`);
  }
}

await main();
