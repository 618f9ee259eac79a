import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { configJsonSchema, ERROR_PORT, hintedFields, type FieldUiHints } from '@tributary/shared';
import { connectionTypes, nodeManifests } from './manifests.js';
import { createNodeRegistry, nodeDefinitions } from './runtime.js';

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

type JsonSchema = {
  properties?: Record<string, { description?: string; ui?: { help?: string } }>;
  required?: string[];
};

type NumberSchema = {
  type?: string | string[];
  properties?: Record<string, NumberSchema>;
  items?: NumberSchema;
  anyOf?: NumberSchema[];
};

/** Paths of the numeric fields of a config's JSON Schema (`*` for array items), nested forms included. */
function numberPaths(schema: NumberSchema, path: string[] = []): string[][] {
  const types = [schema.type, ...(schema.anyOf ?? []).map((a) => a.type)].flat();
  const out: string[][] = types.some((t) => t === 'number' || t === 'integer') && path.length > 0 ? [path] : [];
  for (const [key, child] of Object.entries(schema.properties ?? {})) out.push(...numberPaths(child, [...path, key]));
  if (schema.items) out.push(...numberPaths(schema.items, [...path, '*']));
  for (const alt of schema.anyOf ?? []) if (alt.properties || alt.items) out.push(...numberPaths(alt, path));
  return out;
}

type DescribedSchema = {
  description?: string;
  properties?: Record<string, DescribedSchema>;
  items?: DescribedSchema;
  anyOf?: DescribedSchema[];
};

/** The description of the field at `path` (`*` for array items), looking through unions. */
function descriptionAt(schema: DescribedSchema, path: readonly string[]): string | undefined {
  if (path.length === 0) return schema.description ?? schema.anyOf?.find((a) => a.description)?.description;
  const [head, ...rest] = path;
  const next = head === '*' ? schema.items : schema.properties?.[head!];
  if (next) return descriptionAt(next, rest);
  for (const alt of schema.anyOf ?? []) {
    const found = descriptionAt(alt, path);
    if (found !== undefined) return found;
  }
  return undefined;
}

describe('node registry', () => {
  it('pairs every manifest with exactly one runtime, and nothing else', () => {
    for (const manifest of nodeManifests) {
      const runtimes = nodeDefinitions.filter((d) => d.manifest.type === manifest.type);
      expect(runtimes, manifest.type).toHaveLength(1);
      expect(runtimes[0]!.manifest, manifest.type).toBe(manifest);
    }
    expect(nodeDefinitions.map((d) => d.manifest)).toEqual(expect.arrayContaining([...nodeManifests]));
    expect(nodeDefinitions).toHaveLength(nodeManifests.length);
  });

  it('uses unique kebab-case type ids', () => {
    const types = nodeManifests.map((m) => m.type);
    expect(new Set(types).size).toBe(types.length);
    for (const type of types) expect(type).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
    for (const c of connectionTypes) expect(c.type).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
  });

  it('declares ports that fit the node kind', () => {
    for (const m of nodeManifests) {
      if (m.kind === 'source') expect(m.inputs, m.type).toEqual([]);
      else expect(m.inputs.length, m.type).toBeGreaterThan(0);
      if (m.kind === 'sink') expect(m.outputs, m.type).toEqual([]);
      const names = [...m.inputs, ...m.outputs].map((p) => p.name);
      expect(new Set(names).size, m.type).toBe(names.length);
      // The error port is implicit on every node.
      expect(
        m.outputs.map((p) => p.name),
        m.type,
      ).not.toContain(ERROR_PORT);
    }
  });

  it('describes every config field, and accepts {} or fails only on documented required fields', () => {
    for (const m of nodeManifests) {
      const schema = configJsonSchema(m.config) as JsonSchema;
      for (const [field, property] of Object.entries(schema.properties ?? {})) {
        expect(property.description ?? property.ui?.help, `${m.type}.${field} has no description`).toBeTruthy();
      }
      const result = m.config.safeParse({});
      if (result.success) continue;
      for (const issue of result.error.issues) {
        const field = String(issue.path[0]);
        expect(issue.path, `${m.type}: {} fails on ${issue.path.join('.')}`).toHaveLength(1);
        expect(schema.required ?? [], `${m.type}: {} fails on a field not marked required`).toContain(field);
        expect(issue.message, `${m.type}.${field}`).toMatch(/^required: /);
      }
    }
  });

  it('builds a registry by type id, from all nodes or a subset, and refuses duplicates', () => {
    const registry = createNodeRegistry();
    expect([...registry.keys()]).toEqual(nodeManifests.map((m) => m.type));
    const subset = createNodeRegistry(nodeDefinitions.slice(0, 2));
    expect(subset.size).toBe(2);
    expect(() => createNodeRegistry([nodeDefinitions[0]!, nodeDefinitions[0]!])).toThrow(/defined twice/);
  });

  it('declares the unit of every duration: fields named …Ms or …Seconds, and every duration widget', () => {
    const schemas = [
      ...nodeManifests.map((m) => ({ owner: m.type, config: m.config })),
      ...connectionTypes.map((c) => ({ owner: `connection ${c.type}`, config: c.config })),
    ];
    let durations = 0;
    for (const { owner, config } of schemas) {
      const hinted = new Map(hintedFields(config).map((f) => [f.path.join('.'), f.ui]));
      for (const path of numberPaths(configJsonSchema(config))) {
        const name = path[path.length - 1]!;
        const ui: FieldUiHints | undefined = hinted.get(path.join('.'));
        const where = `${owner}: ${path.join('.')}`;
        if (/(Ms|Seconds)$/.test(name)) {
          // The form converts "2 min" into the field's unit: it must know which.
          expect(ui?.widget, `${where} is a duration: declare widget 'duration'`).toBe('duration');
          expect(ui?.unit, `${where} is a duration: declare its unit`).toBe(name.endsWith('Ms') ? 'ms' : 's');
          durations++;
        } else if (ui?.widget === 'duration') {
          expect(ui.unit, `${where}: a numeric duration needs its unit`).toMatch(/^(ms|s)$/);
          durations++;
        }
      }
      // A unit only means something on a number: a text duration carries its own.
      for (const field of hintedFields(config))
        if (field.ui.unit !== undefined)
          expect(numberPaths(configJsonSchema(config)).map((p) => p.join('.'))).toContain(field.path.join('.'));
    }
    expect(durations).toBeGreaterThan(30);
  });

  it('leaves the unit of a duration to its picker: no description names one', () => {
    // The form shows a unit picker ("2 min", "30 s"); a description saying "in ms" would contradict it.
    // A bound with its number ("0-20 s") is still true whatever the picker shows.
    const schemas = [
      ...nodeManifests.map((m) => ({ owner: m.type, config: m.config })),
      ...connectionTypes.map((c) => ({ owner: `connection ${c.type}`, config: c.config })),
    ];
    let checked = 0;
    for (const { owner, config } of schemas) {
      const json = configJsonSchema(config) as DescribedSchema;
      for (const field of hintedFields(config)) {
        if (field.ui.unit === undefined) continue;
        const description = descriptionAt(json, field.path) ?? '';
        expect(description, `${owner}: ${field.path.join('.')}`).not.toMatch(
          /(?<!\d ?)\b(ms|millis(econds?)?|secs?|seconds?|minutes?)\b/i,
        );
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(30);
  });

  it('has connection types with a config schema', () => {
    for (const c of connectionTypes) expect(c.config).toBeInstanceOf(z.ZodType);
  });
});

/** Import specifiers of an ES module's source: static ones, and dynamic `import()` if asked. */
function importsOf(source: string, withDynamic = true): string[] {
  // Commented-out imports (the marked Kafka lines) do not count: drop block and whole-line comments.
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const specifiers: string[] = [];
  const patterns = [
    /\b(?:import|export)\s[^'"]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    ...(withDynamic ? [/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g] : []),
  ];
  for (const pattern of patterns) for (const match of code.matchAll(pattern)) specifiers.push(match[1]!);
  return specifiers;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
      newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** The built entry, rebuilt when missing or older than the sources (normally `turbo test` builds first). */
function builtEntry(name: string): string {
  const entry = join(packageRoot, 'dist', name);
  if (!existsSync(entry) || statSync(entry).mtimeMs < newestMtime(join(packageRoot, 'src'))) {
    execFileSync(join(packageRoot, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json'], { cwd: packageRoot });
  }
  return entry;
}

const sharedEntry = join(packageRoot, 'node_modules', '@tributary', 'shared', 'dist', 'index.js');

/** The files of the package an entry imports, transitively, and the packages they import by name. */
function importClosure(entry: string, withDynamic: boolean): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const specifier of importsOf(readFileSync(file, 'utf8'), withDynamic)) {
      if (specifier.startsWith('.')) queue.push(resolve(dirname(file), specifier));
      else if (specifier === '@tributary/shared') queue.push(sharedEntry);
      else packages.add(specifier);
    }
  }
  return { files, packages };
}

describe('browser entry (dist/manifests.js)', () => {
  it('imports nothing node-only: only zod and @tributary/shared, transitively', () => {
    const { files: seen, packages: bare } = importClosure(builtEntry('manifests.js'), true);
    // Sanity: the walk did reach the manifests and the shared package.
    expect([...seen].some((f) => f.endsWith(join('function', 'manifest.js')))).toBe(true);
    expect(seen.has(sharedEntry)).toBe(true);
    const forbidden = [...bare].filter((s) => s !== 'zod' && !s.startsWith('zod/'));
    expect(forbidden).toEqual([]);
    expect(
      [...seen].filter((f) =>
        /[\\/](runtime|testing)[\\/.]|lmdb|safe-path|compile|pacing|-client|connection-of/.test(f),
      ),
    ).toEqual([]);
  });
});

describe('node-only entry (dist/runtime.js)', () => {
  // Each costs a process 10–55 MB resident once loaded; a flow process should pay only for its own.
  const clients = ['kafkajs', '@platformatic/kafka', '@aws-sdk/client-sqs', 'ioredis', 'pg', 'undici', 'avsc'];

  it('loads the connector client libraries only when a node of their family starts', () => {
    const entry = builtEntry('runtime.js');
    const loadedAtOnce = importClosure(entry, false).packages;
    expect(clients.filter((name) => loadedAtOnce.has(name))).toEqual([]);
    // The lazy definitions do reach every one of them.
    const reachable = importClosure(entry, true).packages;
    expect(clients.filter((name) => !reachable.has(name))).toEqual([]);
  });
});
