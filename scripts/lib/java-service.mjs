// What the scripts that run a Java service for tests and local development share (the Kafka broker,
// ElasticMQ, Kafka's tools): jars resolved once from Maven Central into a cache, a detached JVM with
// a pid file, a start lock, waiting until it answers, a stop that escalates, and the CLI frame.
// Node built-ins only: these scripts run before `pnpm install`.
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export const HOST = '127.0.0.1';

/** Root of the jar cache (TRIBUTARY_CACHE_DIR, default ~/.cache/tributary). */
export const cacheRoot = process.env.TRIBUTARY_CACHE_DIR || join(homedir(), '.cache', 'tributary');

/** A failure the user can act on: printed without a stack trace; `finally` blocks still run (locks, temp folders). */
export class Failure extends Error {
  constructor(message, detail) {
    super(message);
    this.detail = detail;
  }
}

export function fail(text, detail) {
  throw new Failure(text, detail);
}

/** Prints a Failure as `<name>: error: <message>`, its detail indented below. */
export function report(name, failure) {
  console.error(`${name}: error: ${failure.message}`);
  if (failure.detail) console.error(failure.detail.replace(/^/gm, '  │ '));
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The last `lines` lines of a file ('' when it cannot be read). */
export function tail(file, lines = 30) {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Whether something listens on host:port (a bind fails with EADDRINUSE). */
export function portBusy(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error) => resolve(error.code === 'EADDRINUSE' || error.code === 'EACCES'));
    server.listen({ host: HOST, port, exclusive: true }, () => server.close(() => resolve(false)));
  });
}

export function alive(pid) {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return error.code === 'EPERM';
  }
  // A zombie (exited, not yet reaped) is as good as dead.
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/**
 * The pid in `pidFile`, if that process is alive and its command line holds every one of `marks`
 * (pids get reused: another program may hold it now).
 */
export function pidFrom(pidFile, marks) {
  let pid;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
  } catch {
    return null;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return null;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (!marks.every((mark) => cmdline.includes(mark))) return null;
  } catch {
    // No /proc (not Linux): trust the pid file.
  }
  return pid;
}

/** Fails with an install hint unless `java` runs and is at least `minMajor` (`who` names what needs it). */
export function checkJava(java, who, minMajor) {
  const result = spawnSync(java, ['-version'], { encoding: 'utf8' });
  if (result.error)
    fail(
      `java not found (${result.error.code ?? result.error.message}): ${who} needs a JDK ${minMajor} or newer.`,
      'Install one (Debian: apt-get install -y openjdk-17-jre-headless) or set JAVA_HOME.',
    );
  const text = `${result.stderr}${result.stdout}`;
  const match = /version "(\d+)(?:\.(\d+))?/.exec(text);
  const major = match ? (match[1] === '1' ? Number(match[2]) : Number(match[1])) : 0;
  if (major < minMajor) fail(`${who} needs Java ${minMajor} or newer; ${java} is:`, text.trim());
}

export function javaBin() {
  const fromHome = process.env.JAVA_HOME && join(process.env.JAVA_HOME, 'bin', 'java');
  return fromHome && existsSync(fromHome) ? fromHome : 'java';
}

/**
 * Resolves the runtime dependencies of `pom` (built with -D<versionProperty>=<version>) from Maven
 * Central into `libsDir`, unless they are there: into a temp folder beside it, then renamed, so a
 * broken download never looks complete. Returns the jar names it resolved, or null when there was
 * nothing to do. `mainJar` must be among them; `artifact` names what is resolved in errors.
 */
export function resolveJars({ pom, libsDir, versionProperty, version, mainJar, artifact, tempPrefix = '.resolve-' }) {
  const complete = () => existsSync(join(libsDir, '.complete'));
  if (complete()) return null;
  const mvnCheck = spawnSync('mvn', ['-v'], { encoding: 'utf8' });
  if (mvnCheck.error)
    fail(
      `mvn not found (${mvnCheck.error.code}): it fetches the jars of ${artifact} from Maven Central the first time.`,
      'Install Maven (Debian: apt-get install -y maven), or copy a resolved libs folder to ' + libsDir,
    );
  const parent = dirname(libsDir);
  mkdirSync(parent, { recursive: true });
  const work = mkdtempSync(join(parent, tempPrefix));
  try {
    copyFileSync(pom, join(work, 'pom.xml'));
    const result = spawnSync(
      'mvn',
      [
        '-B',
        '--no-transfer-progress',
        '-Dstyle.color=never',
        '-q',
        '-f',
        join(work, 'pom.xml'),
        `-D${versionProperty}=${version}`,
        'dependency:copy-dependencies',
        `-DoutputDirectory=${join(work, 'libs')}`,
        '-DincludeScope=runtime',
      ],
      { cwd: work, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    );
    // eslint-disable-next-line no-control-regex
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.replace(/\x1b\[[0-9;]*m/g, '').trim();
    if (result.error || result.status !== 0)
      fail(
        `mvn dependency:copy-dependencies failed for ${artifact} (exit ${result.status ?? result.error?.message}). Last lines:`,
        output.split('\n').slice(-25).join('\n') || '(no output)',
      );
    const jars = readdirSync(join(work, 'libs')).filter((f) => f.endsWith('.jar'));
    if (!jars.includes(mainJar)) fail(`mvn finished but ${mainJar} is not among the ${jars.length} jars it copied`);
    writeFileSync(join(work, 'libs', '.complete'), jars.sort().join('\n') + '\n');
    if (!complete()) {
      rmSync(libsDir, { recursive: true, force: true });
      try {
        renameSync(join(work, 'libs'), libsDir);
      } catch (error) {
        // Another run resolved the same version at the same time: its copy is as good.
        if (!complete()) throw error;
      }
    }
    return jars;
  } finally {
    rmSync(work, { recursive: true, force: true });
    // A failed first resolution leaves nothing behind (an empty version folder would only confuse).
    if (readdirSync(parent).length === 0) rmSync(parent, { recursive: true, force: true });
  }
}

/**
 * Takes the start lock `lockFile`, or waits (up to `timeoutMs`) for another start holding it to
 * finish; `onWait` is told once when it has to. Returns the function that releases it.
 */
export async function takeLock(lockFile, timeoutMs, onWait) {
  mkdirSync(dirname(lockFile), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    try {
      const fd = openSync(lockFile, 'wx');
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lockFile, { force: true });
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
    const holder = Number(tail(lockFile, 1));
    if (!Number.isInteger(holder) || holder <= 0 || !alive(holder)) {
      rmSync(lockFile, { force: true });
      continue;
    }
    if (Date.now() > deadline) fail(`another start (pid ${holder}) holds ${lockFile}`);
    if (!told) onWait?.(holder);
    told = true;
    await sleep(250);
  }
}

/**
 * Polls `answers()` until it gives something truthy (returned). null: the process `pid` is gone, or
 * `exited()` says so; undefined: not within `timeoutMs`.
 */
export async function waitReady(answers, pid, timeoutMs, exited) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = await answers();
    if (info) return info;
    if (exited?.() || (pid && !alive(pid))) return null;
    if (Date.now() > deadline) return undefined;
    await sleep(200);
  }
}

/**
 * Starts `java args…` detached (it outlives this script), its output appended to `outFile` (emptied
 * first), its pid written to `pidFile`. `exitedWith()` is null while it runs, else its exit code,
 * signal or error.
 */
export function spawnJava({ java, args, cwd, outFile, pidFile }) {
  rmSync(outFile, { force: true });
  const out = openSync(outFile, 'a');
  const child = spawn(java, args, { cwd, detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  let exitedWith = null;
  child.on('exit', (code, signal) => (exitedWith = signal ?? code));
  child.on('error', (error) => (exitedWith = error.message));
  child.unref();
  if (!child.pid) fail(`could not start ${java}`);
  writeFileSync(pidFile, `${child.pid}\n`);
  return { pid: child.pid, exitedWith: () => exitedWith };
}

/** SIGTERM, then SIGKILL after `graceMs`; says which one ended it. */
export async function stopPid(pid, graceMs) {
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (alive(pid) && Date.now() < deadline) await sleep(100);
  if (!alive(pid)) return 'SIGTERM';
  process.kill(pid, 'SIGKILL');
  while (alive(pid)) await sleep(50);
  return 'SIGKILL';
}

/**
 * Runs `commands[command]` (usage for help or an unknown command, exit 2 for the latter); a Failure
 * is reported as `<name>: error: …` with exit code 1.
 */
export async function runCommand({ name, command, help, usage, commands }) {
  if (help || !(command in commands)) {
    console.log(usage);
    process.exitCode = help || command === 'help' ? 0 : 2;
    return;
  }
  try {
    await commands[command]();
  } catch (error) {
    if (!(error instanceof Failure)) throw error;
    report(name, error);
    process.exitCode = 1;
  }
}
