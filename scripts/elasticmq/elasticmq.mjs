#!/usr/bin/env node
// A real SQS-compatible server (ElasticMQ) for tests and local development, without Docker: its jars
// come from Maven Central (pom.xml beside this file) and run on the machine's JDK. Queues live in memory;
// tests create their own (unique names) through the AWS SDK. Node built-ins only: it runs before
// `pnpm install`.
//
//   node scripts/elasticmq/elasticmq.mjs start [--port 9324]   start (or say it already runs), wait until ready
//   node scripts/elasticmq/elasticmq.mjs stop                  SIGTERM, wait, then SIGKILL
//   node scripts/elasticmq/elasticmq.mjs status                exit 0 when an SQS endpoint answers, else 1
//   node scripts/elasticmq/elasticmq.mjs wait [--timeout 60]   wait until it answers
//   node scripts/elasticmq/elasticmq.mjs logs [--lines 80]     tail of the server's output
//
// Environment: TRIBUTARY_CACHE_DIR (jar cache root, default ~/.cache/tributary), ELASTICMQ_VERSION,
// ELASTICMQ_PORT, TRIBUTARY_ELASTICMQ_DIR (state: config, log, pid; default $TMPDIR/tributary-elasticmq-<port>),
// JAVA_HOME.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  HOST,
  checkJava,
  cacheRoot,
  fail,
  javaBin,
  pidFrom,
  portBusy,
  resolveJars as resolveMavenJars,
  runCommand,
  spawnJava,
  stopPid,
  tail,
  takeLock,
  waitReady as waitUntilAnswers,
} from '../lib/java-service.mjs';

const DEFAULT_VERSION = '1.7.1';
const here = dirname(fileURLToPath(import.meta.url));
const started = Date.now();

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    port: { type: 'string' },
    version: { type: 'string' },
    timeout: { type: 'string' },
    lines: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

const command = positionals[0] ?? 'help';
const port = Number(opts.port ?? process.env.ELASTICMQ_PORT ?? '9324');
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`elasticmq: error: --port must be a port number (1-65535), got "${opts.port}"`);
  process.exit(2);
}
const version = opts.version ?? process.env.ELASTICMQ_VERSION ?? DEFAULT_VERSION;
const libsDir = join(cacheRoot, 'elasticmq', version, 'libs');
const stateDir = process.env.TRIBUTARY_ELASTICMQ_DIR ?? join(tmpdir(), `tributary-elasticmq-${port}`);
const paths = {
  config: join(stateDir, 'elasticmq.conf'),
  out: join(stateDir, 'elasticmq.log'),
  pid: join(stateDir, 'elasticmq.pid'),
  lock: join(stateDir, 'start.lock'),
};
const endpoint = `http://${HOST}:${port}`;

const say = (text) => console.log(`elasticmq: ${text}`);
const elapsed = () => ((Date.now() - started) / 1000).toFixed(1);

/**
 * Whether an SQS endpoint answers: ListQueues in the JSON protocol (what @aws-sdk/client-sqs speaks).
 * A TCP connect is not enough: the port may open before the REST layer is ready.
 */
async function answers() {
  try {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.ListQueues' },
      body: '{}',
      signal: AbortSignal.timeout(3000),
    });
    if (!response.ok) return false;
    const body = await response.json();
    return typeof body === 'object' && body !== null;
  } catch {
    return false;
  }
}

/** The pid in the pid file, if that process is alive and is our server (pids get reused). */
function ourPid() {
  return pidFrom(paths.pid, ['org.elasticmq.server.Main', paths.config]);
}

/** Resolves the jars once per version into the cache. */
function resolveJars() {
  if (existsSync(join(libsDir, '.complete'))) return;
  say(`resolving jars (first time, ~37 MB) for ElasticMQ ${version} into ${libsDir}…`);
  const jars = resolveMavenJars({
    pom: join(here, 'pom.xml'),
    libsDir,
    versionProperty: 'elasticmq.version',
    version,
    mainJar: `elasticmq-server_2.13-${version}.jar`,
    artifact: `org.elasticmq:elasticmq-server_2.13:${version}`,
  });
  if (jars !== null) say(`resolved ${jars.length} jars in ${elapsed()} s`);
}

/**
 * In-memory queues; only the REST SQS API on our port (the stats UI is off: its default port 9325
 * would collide with a second instance). `tributary-demo` and its dead-letter queue serve the example
 * flows (with tributary-demo-out); tests create queues of their own with unique names.
 */
function writeConfig() {
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(
    paths.config,
    `include classpath("application.conf")

node-address {
  protocol = http
  host = "${HOST}"
  port = ${port}
  context-path = ""
}
rest-sqs {
  enabled = true
  bind-port = ${port}
  bind-hostname = "${HOST}"
  sqs-limits = strict
}
rest-stats {
  enabled = false
}
queues {
  tributary-demo-dlq {}
  tributary-demo-out {}
  tributary-demo {
    defaultVisibilityTimeout = 30 seconds
    receiveMessageWait = 0 seconds
    deadLettersQueue {
      name = "tributary-demo-dlq"
      maxReceiveCount = 5
    }
  }
}
`,
  );
}

const lock = (timeoutMs) => takeLock(paths.lock, timeoutMs);
const waitReady = (pid, timeoutMs, exited) => waitUntilAnswers(answers, pid, timeoutMs, exited);

async function start() {
  const timeoutMs = Number(opts.timeout ?? 90) * 1000;
  const unlock = await lock(timeoutMs);
  try {
    const running = ourPid();
    if (running) {
      if (!(await waitReady(running, timeoutMs)))
        fail(`pid ${running} runs but nothing answers on ${endpoint}`, tail(paths.out));
      say(`ready on ${endpoint} (already running, pid ${running})`);
      return;
    }
    if (await portBusy(port)) {
      if (await answers()) {
        say(`an SQS endpoint already answers on ${endpoint} (not started from ${stateDir})`);
        return;
      }
      fail(
        `port ${port} on ${HOST} is in use by a program that is not an SQS endpoint.`,
        `See who holds it: ss -ltnp 'sport = :${port}'. Or choose another: --port N (then SQS_ENDPOINT=http://${HOST}:N).`,
      );
    }
    const java = javaBin();
    checkJava(java, 'ElasticMQ', 11);
    resolveJars();
    writeConfig();
    say(`starting ElasticMQ ${version}…`);
    const child = spawnJava({
      java,
      args: [
        '-Xms64m',
        '-Xmx256m',
        `-Dconfig.file=${paths.config}`,
        '-cp',
        `${libsDir}/*`,
        'org.elasticmq.server.Main',
      ],
      cwd: stateDir,
      outFile: paths.out,
      pidFile: paths.pid,
    });
    const ready = await waitReady(child.pid, timeoutMs, () => child.exitedWith() !== null);
    if (ready === null) {
      rmSync(paths.pid, { force: true });
      fail(`ElasticMQ exited (${child.exitedWith()}) before it was ready. Last lines:`, tail(paths.out));
    }
    if (ready === undefined) {
      await stopPid(child.pid, 10_000);
      rmSync(paths.pid, { force: true });
      fail(`ElasticMQ did not answer on ${endpoint} within ${timeoutMs / 1000} s; stopped it.`, tail(paths.out));
    }
    say(`ready on ${endpoint} in ${elapsed()} s (pid ${child.pid}, log ${paths.out})`);
  } finally {
    unlock();
  }
}

async function stop() {
  const pid = ourPid();
  if (!pid) {
    rmSync(paths.pid, { force: true });
    say((await answers()) ? `not started from ${stateDir}: leaving ${endpoint} alone` : 'not running');
    return;
  }
  say(`stopping pid ${pid}…`);
  const how = await stopPid(pid, Number(opts.timeout ?? 20) * 1000);
  rmSync(paths.pid, { force: true });
  say(how === 'SIGTERM' ? `stopped in ${elapsed()} s` : 'did not stop on SIGTERM in time: killed (SIGKILL)');
}

async function status() {
  const pid = ourPid();
  const ok = await answers();
  if (ok)
    say(`answers on ${endpoint}${pid ? ` (pid ${pid}, state in ${stateDir})` : ` (not started from ${stateDir})`}`);
  else if (pid) say(`pid ${pid} runs but does not answer on ${endpoint} (starting, or stuck: see logs)`);
  else say(`not running (nothing answers on ${endpoint})`);
  process.exitCode = ok ? 0 : 1;
}

async function waitCommand() {
  const timeoutMs = Number(opts.timeout ?? 60) * 1000;
  if (!(await waitReady(null, timeoutMs)))
    fail(
      `nothing answered on ${endpoint} within ${timeoutMs / 1000} s. Start it: node scripts/elasticmq/elasticmq.mjs start`,
    );
  say(`ready on ${endpoint} after ${elapsed()} s`);
}

const usage = `usage: node scripts/elasticmq/elasticmq.mjs <start|stop|status|wait|logs> [--port 9324] [--version ${DEFAULT_VERSION}]
  start    resolve the jars (first time), start ElasticMQ, wait until it answers (--timeout S, default 90)
  stop     SIGTERM, then SIGKILL after --timeout S (default 20)
  status   exit 0 when an SQS endpoint answers on the port, 1 otherwise
  wait     wait until it answers (--timeout S, default 60)
  logs     last --lines N (default 80) of its output
state: ${stateDir}   jars: ${libsDir}`;

const commands = {
  start,
  stop,
  status,
  wait: waitCommand,
  logs: () => console.log(tail(paths.out, Number(opts.lines ?? 80)) || `no log yet at ${paths.out}`),
};
await runCommand({ name: 'elasticmq', command, help: opts.help, usage, commands });
