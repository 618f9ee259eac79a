#!/usr/bin/env node
// A real single-node Apache Kafka broker (KRaft, broker + controller in one JVM) for tests and local
// development, without Docker: the broker's jars come from Maven Central (pom.xml beside this file)
// and run on the machine's JDK. Node built-ins only: it runs before `pnpm install`.
//
//   node scripts/kafka/kafka.mjs start [--port 9092] [--fresh]   start (or say it already runs), wait until ready
//     (also a TLS + SASL listener on --secure-port, default port + 2, with test-only credentials)
//   node scripts/kafka/kafka.mjs stop                            SIGTERM, wait, then SIGKILL
//   node scripts/kafka/kafka.mjs status                          exit 0 when a broker answers, else 1
//   node scripts/kafka/kafka.mjs wait [--timeout 90]             wait until a broker answers
//   node scripts/kafka/kafka.mjs logs [--lines 80]               tail of the broker's log
//
// Environment: TRIBUTARY_CACHE_DIR (jar cache root, default ~/.cache/tributary), KAFKA_VERSION,
// TRIBUTARY_KAFKA_DIR (state: config, data, logs, pid; default $TMPDIR/tributary-kafka-<port>),
// KAFKA_HEAP_OPTS / KAFKA_OPTS (extra JVM flags, as in Kafka's own scripts), JAVA_HOME.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  HOST,
  checkJava,
  Failure,
  cacheRoot,
  fail,
  javaBin,
  pidFrom,
  portBusy,
  report,
  resolveJars as resolveMavenJars,
  runCommand,
  spawnJava,
  stopPid,
  tail,
  takeLock,
  waitReady as waitUntilAnswers,
} from '../lib/java-service.mjs';

const DEFAULT_VERSION = '4.4.0';
/** Rough size of the resolved classpath, for the first-time message. */
const APPROX_MB = 45;
const here = dirname(fileURLToPath(import.meta.url));
const started = Date.now();

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    port: { type: 'string' },
    'controller-port': { type: 'string' },
    'secure-port': { type: 'string' },
    version: { type: 'string' },
    'data-dir': { type: 'string' },
    timeout: { type: 'string' },
    lines: { type: 'string' },
    fresh: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

const command = positionals[0] ?? 'help';
const port = intOption('port', process.env.KAFKA_PORT ?? '9092');
const controllerPort = intOption('controller-port', String(port + 1));
// A second listener with TLS and SASL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512), so that secured
// connections are tested against a real broker too. Its credentials are for tests only.
const securePort = intOption('secure-port', String(port + 2));
const TEST_SASL_USER = 'tributary';
const TEST_SASL_PASSWORD = 'tributary-test-secret';
const KEYSTORE_PASSWORD = 'tributary-test-keystore';
const version = opts.version ?? process.env.KAFKA_VERSION ?? DEFAULT_VERSION;
const libsDir = join(cacheRoot, 'kafka', version, 'libs');
// State is per port and machine-wide (not per checkout): the port is machine-wide too, so every
// checkout on this machine sees the same broker.
const stateDir = opts['data-dir'] ?? process.env.TRIBUTARY_KAFKA_DIR ?? join(tmpdir(), `tributary-kafka-${port}`);
const paths = {
  props: join(stateDir, 'server.properties'),
  log4j: join(stateDir, 'log4j2.properties'),
  data: join(stateDir, 'data'),
  logs: join(stateDir, 'logs'),
  serverLog: join(stateDir, 'logs', 'server.log'),
  javaOut: join(stateDir, 'logs', 'java.out'),
  pid: join(stateDir, 'kafka.pid'),
  stamp: join(stateDir, 'format.json'),
  keystore: join(stateDir, 'tls', 'broker.p12'),
  ca: join(stateDir, 'tls', 'ca.pem'),
  lock: join(stateDir, 'start.lock'),
};

function intOption(name, fallback) {
  const raw = opts[name] ?? fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    report('kafka', new Failure(`--${name} must be a port number (1-65535), got "${raw}"`));
    process.exit(2);
  }
  return n;
}

function elapsed() {
  return ((Date.now() - started) / 1000).toFixed(1);
}

function say(text) {
  console.log(`kafka: ${text}`);
}

// ---------------------------------------------------------------------------------------------
// Kafka protocol probe: ApiVersions v0 then Metadata v4 over a raw socket. A TCP connect is not
// enough: the port opens before the broker has loaded its metadata and registered itself.
// ---------------------------------------------------------------------------------------------

function encodeRequest(apiKey, apiVersion, correlationId, body) {
  const clientId = Buffer.from('tributary-kafka-script');
  const header = Buffer.alloc(10);
  header.writeInt16BE(apiKey, 0);
  header.writeInt16BE(apiVersion, 2);
  header.writeInt32BE(correlationId, 4);
  header.writeInt16BE(clientId.length, 8);
  const size = Buffer.alloc(4);
  size.writeInt32BE(header.length + clientId.length + body.length, 0);
  return Buffer.concat([size, header, clientId, body]);
}

class Reader {
  constructor(buffer) {
    this.b = buffer;
    this.o = 0;
  }
  int16() {
    const v = this.b.readInt16BE(this.o);
    this.o += 2;
    return v;
  }
  int32() {
    const v = this.b.readInt32BE(this.o);
    this.o += 4;
    return v;
  }
  string() {
    const n = this.int16();
    if (n < 0) return null;
    const v = this.b.toString('utf8', this.o, this.o + n);
    this.o += n;
    return v;
  }
}

/**
 * Asks the broker on host:port for its API versions and its metadata. Resolves with
 * `{ brokers, clusterId }` once it answers with at least one registered broker; rejects otherwise.
 */
function probe(probePort, timeoutMs = 3000) {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: HOST, port: probePort });
    let buffered = Buffer.alloc(0);
    let step = 0;
    const done = (error, value) => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(value);
    };
    const timer = setTimeout(() => done(new Error('no answer in time')), timeoutMs);
    socket.on('error', (error) => done(error));
    socket.on('close', () => done(new Error('connection closed before an answer')));
    socket.on('connect', () => socket.write(encodeRequest(18, 0, 1, Buffer.alloc(0))));
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 4) {
        const size = buffered.readInt32BE(0);
        if (buffered.length < 4 + size) return;
        const frame = new Reader(buffered.subarray(4, 4 + size));
        buffered = buffered.subarray(4 + size);
        try {
          if (step === 0) {
            frame.int32(); // correlation id
            // Error 35 (UNSUPPORTED_VERSION) still carries the version list in the v0 layout.
            const errorCode = frame.int16();
            const apis = new Map();
            for (let i = frame.int32(); i > 0; i--) apis.set(frame.int16(), [frame.int16(), frame.int16()]);
            const metadata = apis.get(3);
            if ((errorCode !== 0 && errorCode !== 35) || !metadata)
              return done(new Error(`ApiVersions error ${errorCode}`));
            if (metadata[0] > 4 || metadata[1] < 4) return done(new Error('broker does not speak Metadata v4'));
            step = 1;
            // Metadata v4: an empty topic list (not null: null means every topic), no auto-creation.
            socket.write(encodeRequest(3, 4, 2, Buffer.from([0, 0, 0, 0, 0])));
          } else {
            frame.int32(); // correlation id
            frame.int32(); // throttle time
            const brokers = [];
            for (let i = frame.int32(); i > 0; i--) {
              const nodeId = frame.int32();
              const host = frame.string();
              const brokerPort = frame.int32();
              frame.string(); // rack
              brokers.push({ nodeId, host, port: brokerPort });
            }
            const clusterId = frame.string();
            if (brokers.length === 0) return done(new Error('no broker registered yet'));
            return done(null, { brokers, clusterId });
          }
        } catch (error) {
          return done(error);
        }
      }
    });
  });
}

async function answers(probePort) {
  try {
    return await probe(probePort);
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Process bookkeeping
// ---------------------------------------------------------------------------------------------

/** The pid in the pid file, if that process is alive and is our broker (pids get reused). */
function ourPid() {
  return pidFrom(paths.pid, ['kafka.Kafka', paths.props]);
}

// ---------------------------------------------------------------------------------------------
// Jars: resolved once per version into the cache
// ---------------------------------------------------------------------------------------------

function resolveJars() {
  if (existsSync(join(libsDir, '.complete'))) return false;
  say(`resolving jars (first time, ~${APPROX_MB} MB) for Kafka ${version} into ${libsDir}…`);
  const jars = resolveMavenJars({
    pom: join(here, 'pom.xml'),
    libsDir,
    versionProperty: 'kafka.version',
    version,
    mainJar: `kafka_2.13-${version}.jar`,
    artifact: `org.apache.kafka:kafka_2.13:${version}`,
  });
  if (jars === null) return false;
  const mb = jars.reduce((sum, f) => sum + statSync(join(libsDir, f)).size, 0) / 1e6;
  say(`resolved ${jars.length} jars (${mb.toFixed(0)} MB) in ${elapsed()} s`);
  return true;
}

// ---------------------------------------------------------------------------------------------
// Config, storage, start
// ---------------------------------------------------------------------------------------------

function writeConfig() {
  const props = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.bootstrap.servers': `${HOST}:${controllerPort}`,
    listeners: `PLAINTEXT://${HOST}:${port},CONTROLLER://${HOST}:${controllerPort},SASL_SSL://${HOST}:${securePort}`,
    'advertised.listeners': `PLAINTEXT://${HOST}:${port},CONTROLLER://${HOST}:${controllerPort},SASL_SSL://${HOST}:${securePort}`,
    'inter.broker.listener.name': 'PLAINTEXT',
    'controller.listener.names': 'CONTROLLER',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL',
    'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
    'listener.name.sasl_ssl.plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required user_${TEST_SASL_USER}="${TEST_SASL_PASSWORD}";`,
    'listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config':
      'org.apache.kafka.common.security.scram.ScramLoginModule required;',
    'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config':
      'org.apache.kafka.common.security.scram.ScramLoginModule required;',
    'ssl.keystore.type': 'PKCS12',
    'ssl.keystore.location': paths.keystore,
    'ssl.keystore.password': KEYSTORE_PASSWORD,
    'ssl.key.password': KEYSTORE_PASSWORD,
    'log.dirs': paths.data,
    'num.partitions': 1,
    'default.replication.factor': 1,
    'min.insync.replicas': 1,
    // One node: internal topics cannot have more than one replica. One partition each keeps the
    // first consumer group and the first idempotent producer quick (the default is 50 partitions).
    'offsets.topic.replication.factor': 1,
    'offsets.topic.num.partitions': 1,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'transaction.state.log.num.partitions': 1,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    'share.coordinator.state.topic.num.partitions': 1,
    'auto.create.topics.enable': true,
    'delete.topic.enable': true,
    // Tests join groups all the time; the default 3 s wait for more members only slows them down.
    'group.initial.rebalance.delay.ms': 0,
    'log.segment.bytes': 16 * 1024 * 1024,
    'log.retention.hours': 24,
    'log.retention.check.interval.ms': 60_000,
    'num.network.threads': 2,
    'num.io.threads': 4,
    'num.recovery.threads.per.data.dir': 1,
  };
  mkdirSync(paths.logs, { recursive: true });
  const text = Object.entries(props)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');
  writeFileSync(paths.props, `# Written by scripts/kafka/kafka.mjs; rewritten on every start.\n${text}\n`);
  writeFileSync(
    paths.log4j,
    [
      'status = warn',
      'appender.file.type = RollingFile',
      'appender.file.name = file',
      `appender.file.fileName = ${paths.serverLog}`,
      `appender.file.filePattern = ${paths.serverLog}.%i`,
      'appender.file.layout.type = PatternLayout',
      'appender.file.layout.pattern = [%d] %p %m (%c)%n',
      'appender.file.policies.type = Policies',
      'appender.file.policies.size.type = SizeBasedTriggeringPolicy',
      'appender.file.policies.size.size = 10MB',
      'appender.file.strategy.type = DefaultRolloverStrategy',
      'appender.file.strategy.max = 2',
      'rootLogger.level = info',
      'rootLogger.appenderRef.file.ref = file',
      'logger.request.name = kafka.request.logger',
      'logger.request.level = warn',
      'logger.state.name = state.change.logger',
      'logger.state.level = warn',
      '',
    ].join('\n'),
  );
}

/** Kafka's Uuid text form: 16 random bytes, base64url without padding. */
function clusterId() {
  return randomBytes(16).toString('base64url');
}

function formatStorage(java) {
  // SCRAM users are written at format time: a storage formatted before them is formatted again.
  const stamp = { version, port, controllerPort, securePort, scramUsers: 1 };
  let previous = null;
  try {
    previous = JSON.parse(readFileSync(paths.stamp, 'utf8'));
  } catch {
    // Not formatted yet.
  }
  const same =
    previous &&
    previous.version === version &&
    previous.port === port &&
    previous.controllerPort === controllerPort &&
    previous.securePort === securePort &&
    previous.scramUsers === stamp.scramUsers;
  if (same && !opts.fresh && existsSync(join(paths.data, 'meta.properties'))) return false;
  if (previous && !same) say(`the data in ${paths.data} was made for another version or port: starting empty`);
  rmSync(paths.data, { recursive: true, force: true });
  rmSync(paths.stamp, { force: true });
  say('formatting storage…');
  const id = clusterId();
  const result = spawnSync(
    java,
    [
      ...jvmLogOptions(),
      '-cp',
      `${libsDir}/*`,
      'kafka.tools.StorageTool',
      'format',
      '--standalone',
      `--cluster-id=${id}`,
      '--add-scram',
      `SCRAM-SHA-256=[name=${TEST_SASL_USER},password=${TEST_SASL_PASSWORD}]`,
      '--add-scram',
      `SCRAM-SHA-512=[name=${TEST_SASL_USER},password=${TEST_SASL_PASSWORD}]`,
      '--config',
      paths.props,
    ],
    { encoding: 'utf8', cwd: stateDir },
  );
  if (result.error || result.status !== 0)
    fail(
      `formatting the storage failed (exit ${result.status ?? result.error?.message}):`,
      `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-20).join('\n'),
    );
  writeFileSync(paths.stamp, JSON.stringify({ ...stamp, clusterId: id }, null, 2) + '\n');
  return true;
}

/**
 * A self-signed certificate for 127.0.0.1 / localhost in a PKCS12 keystore (made once with the JDK's
 * keytool), and the same certificate as PEM for clients to trust.
 */
function ensureKeystore(java) {
  if (existsSync(paths.keystore) && existsSync(paths.ca)) return;
  mkdirSync(dirname(paths.keystore), { recursive: true });
  rmSync(paths.keystore, { force: true });
  const tool = java === 'java' ? 'keytool' : join(dirname(java), 'keytool');
  const common = ['-keystore', paths.keystore, '-storetype', 'PKCS12', '-storepass', KEYSTORE_PASSWORD];
  const steps = [
    [
      '-genkeypair',
      '-alias',
      'broker',
      '-keyalg',
      'RSA',
      '-keysize',
      '2048',
      '-validity',
      '3650',
      '-dname',
      'CN=localhost,O=Tributary test broker',
      '-ext',
      'SAN=dns:localhost,ip:127.0.0.1',
      '-keypass',
      KEYSTORE_PASSWORD,
      ...common,
    ],
    ['-exportcert', '-rfc', '-alias', 'broker', '-file', paths.ca, ...common],
  ];
  for (const args of steps) {
    const result = spawnSync(tool, args, { encoding: 'utf8' });
    if (result.error || result.status !== 0)
      fail(`keytool ${args[0]} failed: ${result.error?.message ?? ''}${result.stderr ?? ''}${result.stdout ?? ''}`);
  }
}

function jvmLogOptions() {
  return [`-Dlog4j2.configurationFile=${paths.log4j}`, `-Dkafka.logs.dir=${paths.logs}`];
}

function jvmOptions() {
  const heap = (process.env.KAFKA_HEAP_OPTS ?? '-Xms256m -Xmx1g').split(/\s+/).filter(Boolean);
  const extra = (process.env.KAFKA_OPTS ?? '').split(/\s+/).filter(Boolean);
  return [
    ...heap,
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:+ExplicitGCInvokesConcurrent',
    '-Djava.awt.headless=true',
    ...jvmLogOptions(),
    ...extra,
  ];
}

/** Takes the start lock, or waits for another `start` of the same broker to finish first. */
function lock(timeoutMs) {
  return takeLock(paths.lock, timeoutMs, (holder) =>
    say(`another start (pid ${holder}) is under way: waiting for it…`),
  );
}

function waitReady(pid, timeoutMs, exited) {
  return waitUntilAnswers(() => answers(port), pid, timeoutMs, exited);
}

/** Where the server log ended before this start, so a failure shows only this run's lines. */
let logStart = 0;

function brokerLogTail() {
  let server = '';
  try {
    const text = readFileSync(paths.serverLog);
    server = text
      .subarray(text.length >= logStart ? logStart : 0)
      .toString('utf8')
      .split('\n')
      // Kafka prints every config value (tab-indented) at start: noise in an error report.
      .filter((line) => line.trim() !== '' && !line.startsWith('\t'))
      .slice(-25)
      .join('\n');
  } catch {
    // No log yet.
  }
  const out = tail(paths.javaOut, 15);
  return [out && `${paths.javaOut}:\n${out}`, server && `${paths.serverLog}:\n${server}`].filter(Boolean).join('\n');
}

async function start() {
  const timeoutMs = Number(opts.timeout ?? 120) * 1000;
  const unlock = await lock(timeoutMs);
  try {
    const running = ourPid();
    if (running) {
      if (opts.fresh) say('--fresh ignored: the broker is running (stop it first to drop its data)');
      say(`already running (pid ${running}); checking that it answers…`);
      const info = await waitReady(running, timeoutMs);
      if (!info) fail(`pid ${running} runs but the broker does not answer on ${HOST}:${port}`, brokerLogTail());
      say(`ready on ${HOST}:${port} (already running, pid ${running})`);
      return;
    }
    const busy = await portBusy(port);
    if (busy) {
      const info = await answers(port);
      if (info) {
        say(
          `a Kafka broker already answers on ${HOST}:${port} (cluster ${info.clusterId}; not started from ${stateDir})`,
        );
        return;
      }
      fail(
        `port ${port} on ${HOST} is in use by a program that is not a Kafka broker.`,
        `See who holds it: ss -ltnp 'sport = :${port}'. Or choose another port: --port N (then KAFKA_BROKERS=${HOST}:N).`,
      );
    }
    if (await portBusy(controllerPort))
      fail(`the controller port ${controllerPort} on ${HOST} is in use; choose another with --controller-port N`);

    const java = javaBin();
    checkJava(java, `Kafka ${version}`, 17);
    resolveJars();
    if (await portBusy(securePort))
      fail(`the TLS/SASL port ${securePort} on ${HOST} is in use; choose another with --secure-port N`);
    ensureKeystore(java);
    writeConfig();
    formatStorage(java);

    say(`starting Kafka ${version}…`);
    logStart = existsSync(paths.serverLog) ? statSync(paths.serverLog).size : 0;
    const child = spawnJava({
      java,
      args: [...jvmOptions(), '-cp', `${libsDir}/*`, 'kafka.Kafka', paths.props],
      cwd: stateDir,
      outFile: paths.javaOut,
      pidFile: paths.pid,
    });

    say('waiting for broker…');
    const info = await waitReady(child.pid, timeoutMs, () => child.exitedWith() !== null);
    if (info === null) {
      rmSync(paths.pid, { force: true });
      fail(`the broker exited (${child.exitedWith()}) before it was ready. Last log lines:`, brokerLogTail());
    }
    if (info === undefined) {
      await stopPid(child.pid, 10_000);
      rmSync(paths.pid, { force: true });
      fail(`the broker did not answer on ${HOST}:${port} within ${timeoutMs / 1000} s; stopped it.`, brokerLogTail());
    }
    say(`ready on ${HOST}:${port} in ${elapsed()} s (pid ${child.pid}, Kafka ${version}, log ${paths.serverLog})`);
    say(
      `TLS + SASL (PLAIN, SCRAM-SHA-256/512) on ${HOST}:${securePort}: user ${TEST_SASL_USER}, CA ${paths.ca} (test credentials only)`,
    );
  } finally {
    unlock();
  }
}

async function stop() {
  const pid = ourPid();
  if (!pid) {
    rmSync(paths.pid, { force: true });
    const info = await answers(port);
    if (info) say(`not started from ${stateDir}, but a broker answers on ${HOST}:${port}: leaving it alone`);
    else say('not running');
    return;
  }
  say(`stopping pid ${pid}…`);
  const how = await stopPid(pid, Number(opts.timeout ?? 30) * 1000);
  rmSync(paths.pid, { force: true });
  say(how === 'SIGTERM' ? `stopped in ${elapsed()} s` : `did not stop on SIGTERM in time: killed (SIGKILL)`);
}

async function status() {
  const pid = ourPid();
  const info = await answers(port);
  if (info && pid) say(`running on ${HOST}:${port} (pid ${pid}, cluster ${info.clusterId}, state in ${stateDir})`);
  else if (info) say(`a broker answers on ${HOST}:${port} (cluster ${info.clusterId}; not started from ${stateDir})`);
  else if (pid) say(`pid ${pid} runs but does not answer on ${HOST}:${port} (starting, or stuck: see logs)`);
  else say(`not running (nothing answers on ${HOST}:${port})`);
  process.exitCode = info ? 0 : 1;
}

async function waitCommand() {
  const timeoutMs = Number(opts.timeout ?? 90) * 1000;
  const info = await waitReady(null, timeoutMs);
  if (!info) fail(`no broker answered on ${HOST}:${port} within ${timeoutMs / 1000} s. Start one: pnpm kafka start`);
  say(`ready on ${HOST}:${port} after ${elapsed()} s`);
}

function logs() {
  const text = tail(paths.serverLog, Number(opts.lines ?? 80));
  console.log(text || `no log yet at ${paths.serverLog}`);
}

const usage = `usage: node scripts/kafka/kafka.mjs <start|stop|status|wait|logs> [--port 9092] [--version ${DEFAULT_VERSION}]
  start    resolve the jars (first time), format storage (first time), start the broker, wait until it answers
           --fresh: drop the data (topics, offsets) first; --timeout S (default 120)
           also listens with TLS + SASL on --secure-port (default port + 2; test-only credentials)
  stop     SIGTERM, then SIGKILL after --timeout S (default 30)
  status   exit 0 when a broker answers on the port, 1 otherwise
  wait     wait until a broker answers (--timeout S, default 90)
  logs     last --lines N (default 80) of the broker's log
state: ${stateDir}   jars: ${libsDir}`;

const commands = { start, stop, status, wait: waitCommand, logs };
await runCommand({ name: 'kafka', command, help: opts.help, usage, commands });
