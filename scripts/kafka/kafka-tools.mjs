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
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Failure, cacheRoot, javaBin, resolveJars } from '../lib/java-service.mjs';

const version = process.env.KAFKA_VERSION ?? '4.4.0';
const toolsDir = join(cacheRoot, 'kafka', version, 'tools');

/** Resolves the tools' jars into the cache (once); returns the classpath. */
export function toolsClasspath() {
  resolveJars({
    pom: fileURLToPath(new URL('./tools-pom.xml', import.meta.url)),
    libsDir: toolsDir,
    versionProperty: 'kafka.version',
    version,
    mainJar: `kafka-tools-${version}.jar`,
    artifact: `org.apache.kafka:kafka-tools:${version}`,
    tempPrefix: '.tools-',
  });
  return `${toolsDir}/*`;
}

/** The classpath, or the failure said (as `kafka-tools: …`) and exit 1. */
function classpathOrExit() {
  try {
    return toolsClasspath();
  } catch (error) {
    if (!(error instanceof Failure)) throw error;
    process.stderr.write(`kafka-tools: ${error.message}\n${error.detail ? error.detail + '\n' : ''}`);
    process.exit(1);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [command, tool, ...args] = process.argv.slice(2);
  if (command === 'classpath') process.stdout.write(`${classpathOrExit()}\n`);
  else if (command === 'run' && tool) {
    const java = javaBin();
    const main = tool.includes('.') ? tool : `org.apache.kafka.tools.${tool}`;
    const result = spawnSync(java, ['-cp', classpathOrExit(), main, ...args], { stdio: 'inherit' });
    process.exit(result.status ?? 1);
  } else {
    process.stdout.write('usage: kafka-tools.mjs classpath | run <Class> [args…]\n');
    process.exit(command ? 2 : 0);
  }
}
