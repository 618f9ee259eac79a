#!/usr/bin/env node
// Kafka's own command-line tools (org.apache.kafka:kafka-tools from Maven Central, the broker's
// version) on the machine's JDK, cached like the broker's jars (scripts/kafka/kafka.mjs).
//
//   node scripts/kafka/kafka-tools.mjs classpath          resolve once, print the classpath
//   node scripts/kafka/kafka-tools.mjs run <Class> [args]  e.g. run ProducerPerformance --topic t …
//
// <Class> without a package is looked up in org.apache.kafka.tools. Environment: TRIBUTARY_CACHE_DIR,
// KAFKA_VERSION, JAVA_HOME (as kafka.mjs).
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const version = process.env.KAFKA_VERSION ?? '4.4.0';
const cacheRoot = process.env.TRIBUTARY_CACHE_DIR || join(homedir(), '.cache', 'tributary');
const toolsDir = join(cacheRoot, 'kafka', version, 'tools');
const here = dirname(fileURLToPath(import.meta.url));

function fail(text) {
  process.stderr.write(`kafka-tools: ${text}\n`);
  process.exit(1);
}

/** Resolves the tools' jars into the cache (once); returns the classpath. */
export function toolsClasspath() {
  if (!existsSync(join(toolsDir, '.complete'))) {
    const parent = dirname(toolsDir);
    mkdirSync(parent, { recursive: true });
    // Resolve into a temp folder, then rename: a broken download never looks complete.
    const work = mkdtempSync(join(parent, '.tools-'));
    try {
      copyFileSync(join(here, 'tools-pom.xml'), join(work, 'pom.xml'));
      const result = spawnSync(
        'mvn',
        [
          '-B',
          '--no-transfer-progress',
          '-q',
          '-f',
          join(work, 'pom.xml'),
          `-Dkafka.version=${version}`,
          'dependency:copy-dependencies',
          `-DoutputDirectory=${join(work, 'libs')}`,
          '-DincludeScope=runtime',
        ],
        { cwd: work, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
      );
      if (result.error || result.status !== 0)
        fail(
          `mvn could not resolve org.apache.kafka:kafka-tools:${version}:\n${`${result.stdout}${result.stderr}`.slice(-3000)}`,
        );
      const jars = readdirSync(join(work, 'libs')).filter((f) => f.endsWith('.jar'));
      if (!jars.includes(`kafka-tools-${version}.jar`)) fail(`kafka-tools-${version}.jar missing after mvn`);
      writeFileSync(join(work, 'libs', '.complete'), jars.sort().join('\n') + '\n');
      if (!existsSync(join(toolsDir, '.complete'))) {
        rmSync(toolsDir, { recursive: true, force: true });
        renameSync(join(work, 'libs'), toolsDir);
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  return `${toolsDir}/*`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [command, tool, ...args] = process.argv.slice(2);
  if (command === 'classpath') process.stdout.write(`${toolsClasspath()}\n`);
  else if (command === 'run' && tool) {
    const java = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
    const main = tool.includes('.') ? tool : `org.apache.kafka.tools.${tool}`;
    const result = spawnSync(java, ['-cp', toolsClasspath(), main, ...args], { stdio: 'inherit' });
    process.exit(result.status ?? 1);
  } else {
    process.stdout.write('usage: kafka-tools.mjs classpath | run <Class> [args…]\n');
    process.exit(command ? 2 : 0);
  }
}
