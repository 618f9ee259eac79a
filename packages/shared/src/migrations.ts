import { CURRENT_SCHEMA_VERSION } from './flow-document.js';
import type { NodeManifest } from './node-contract.js';

type Json = Record<string, unknown>;

/**
 * `DOCUMENT_MIGRATIONS[n]` turns a version-n document into version n+1. Version 0 is what Tributary
 * wrote before `schemaVersion` existed: React Flow's shape, with `data.config` on nodes and
 * `sourceHandle`/`targetHandle` on edges.
 */
export const DOCUMENT_MIGRATIONS: Readonly<Record<number, (doc: Json) => Json>> = {
  0: (doc) => {
    const { nodes, edges, ...rest } = doc;
    return {
      ...rest,
      schemaVersion: 1,
      nodes: Array.isArray(nodes)
        ? nodes.map((node: unknown) => {
            if (!isObject(node)) return node;
            const { data, ...others } = node;
            const config = isObject(data) && isObject(data.config) ? data.config : (others.config ?? {});
            const label = isObject(data) && typeof data.label === 'string' ? data.label : others.label;
            return {
              ...others,
              typeVersion: others.typeVersion ?? 1,
              position: others.position ?? { x: 0, y: 0 },
              ...(label === undefined ? {} : { label }),
              config,
            };
          })
        : nodes,
      edges: Array.isArray(edges)
        ? edges.map((edge: unknown, i) => {
            if (!isObject(edge)) return edge;
            const { sourceHandle, targetHandle, ...others } = edge;
            return {
              ...others,
              id: others.id ?? `e${i}`,
              sourcePort: others.sourcePort ?? sourceHandle ?? 'out',
              targetPort: others.targetPort ?? targetHandle ?? 'in',
            };
          })
        : edges,
    };
  },
};

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export type DocumentMigration = { ok: true; doc: unknown; from: number } | { ok: false; message: string; from: number };

/**
 * Brings a parsed document up to the current `schemaVersion`. Documents of the current version, and
 * anything that is not an object, pass through untouched (the schema check reports them).
 */
export function migrateDocument(input: unknown): DocumentMigration {
  if (!isObject(input)) return { ok: true, doc: input, from: CURRENT_SCHEMA_VERSION };
  const raw = input.schemaVersion;
  const from = raw === undefined ? 0 : raw;
  if (typeof from !== 'number' || !Number.isInteger(from))
    return { ok: true, doc: input, from: CURRENT_SCHEMA_VERSION };
  if (from > CURRENT_SCHEMA_VERSION) {
    return {
      ok: false,
      from,
      message: `schemaVersion ${from} is newer than this Tributary understands (${CURRENT_SCHEMA_VERSION}); upgrade Tributary`,
    };
  }
  let doc: Json = input;
  for (let v = from; v < CURRENT_SCHEMA_VERSION; v++) {
    const step = DOCUMENT_MIGRATIONS[v];
    if (!step) return { ok: false, from, message: `no migration from schemaVersion ${v}` };
    doc = step(doc);
  }
  return { ok: true, doc, from };
}

/**
 * Runs a node type's config migrations from `fromVersion` up to its current `typeVersion`.
 *
 * @example
 * migrateNodeConfig(manifest, 1, { expr: 'value > 1' }) // { expression: 'value > 1' } if v1→v2 renamed it
 */
export function migrateNodeConfig(
  manifest: Pick<NodeManifest, 'type' | 'typeVersion' | 'migrations'>,
  fromVersion: number,
  config: Record<string, unknown>,
): Record<string, unknown> {
  let current = config;
  for (let v = fromVersion; v < manifest.typeVersion; v++) {
    const step = manifest.migrations?.[v];
    if (!step) throw new Error(`${manifest.type}: no config migration from typeVersion ${v} to ${v + 1}`);
    current = step(current);
  }
  return current;
}
