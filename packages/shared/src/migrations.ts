/**
 * Two kinds of migration, both run before validation:
 * - document migrations (`schemaVersion` N → N + 1), for the shape of the flow file itself;
 * - node config migrations (a node type's `typeVersion` N → N + 1), declared by each manifest.
 */
import { CURRENT_SCHEMA_VERSION } from './flow-document.js';
import type { NodeManifest } from './node-contract.js';

type Json = Record<string, unknown>;

/** One step of the document migration chain: turns a version-`from` document into version `from + 1`. */
export interface DocumentMigrationStep {
  from: number;
  /** What changed, in a line (shown when a step fails). */
  description: string;
  /** Must not modify its argument; returns the new document (with `schemaVersion: from + 1`). */
  up(doc: Json): Json;
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** React Flow state a v0 file may carry that a flow document does not keep (it is rebuilt by the editor). */
const REACT_FLOW_NODE_UI = [
  'width',
  'height',
  'measured',
  'selected',
  'dragging',
  'draggable',
  'selectable',
  'connectable',
  'deletable',
  'focusable',
  'resizing',
  'positionAbsolute',
  'sourcePosition',
  'targetPosition',
  'hidden',
  'zIndex',
  'style',
  'className',
  'dragHandle',
  'origin',
  'ariaLabel',
  'handles',
];
const REACT_FLOW_EDGE_UI = [
  'type',
  'animated',
  'style',
  'selected',
  'hidden',
  'zIndex',
  'className',
  'markerStart',
  'markerEnd',
  'interactionWidth',
  'focusable',
  'deletable',
  'selectable',
  'updatable',
  'reconnectable',
  'ariaLabel',
  'pathOptions',
];

function without(source: Json, keys: readonly string[]): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(source)) if (!keys.includes(key)) out[key] = value;
  return out;
}

/**
 * v0 → v1. Version 0 is what Tributary wrote before `schemaVersion` existed: React Flow's own
 * shape (`ReactFlowInstance.toObject()` plus `id` and `name`):
 *
 * - nodes keep `label`, `config`, `description`, `typeVersion` and `disabled` in `data`, and carry
 *   React Flow UI state (`selected`, `measured`, `width` …); `typeVersion` defaults to 1;
 * - edges name their ports `sourceHandle` / `targetHandle` (`null` for the default port) and may
 *   lack an `id`; they carry UI state too (`type`, `animated`, `markerEnd` …);
 * - the document may have a `viewport` and no `name`.
 *
 * UI state is dropped. Anything else stays where it is, so the validator reports it rather than
 * the migration losing it silently.
 */
const v0ToV1: DocumentMigrationStep = {
  from: 0,
  description: 'React Flow shape (data.config, sourceHandle/targetHandle) to the v1 flow document',
  up(doc) {
    const { nodes, edges, viewport: _viewport, ...rest } = doc;
    const usedIds = new Set<string>();
    if (Array.isArray(edges)) for (const e of edges) if (isObject(e) && typeof e.id === 'string') usedIds.add(e.id);
    return {
      ...rest,
      schemaVersion: 1,
      name: rest.name ?? rest.id,
      nodes: Array.isArray(nodes) ? nodes.map((node: unknown) => (isObject(node) ? nodeV0ToV1(node) : node)) : nodes,
      edges: Array.isArray(edges)
        ? edges.map((edge: unknown) => (isObject(edge) ? edgeV0ToV1(edge, usedIds) : edge))
        : edges,
    };
  },
};

function nodeV0ToV1(node: Json): Json {
  const { data, ...others } = without(node, REACT_FLOW_NODE_UI);
  const out: Json = { ...others };
  let leftover: Json | undefined;
  if (isObject(data)) {
    const { config, label, description, typeVersion, disabled, ...restOfData } = data;
    const lift = { config, label, description, typeVersion, disabled };
    for (const [key, value] of Object.entries(lift))
      if (value !== undefined && out[key] === undefined) out[key] = value;
    if (Object.keys(restOfData).length > 0) leftover = restOfData;
  } else if (data !== undefined) {
    leftover = { value: data };
  }
  out.typeVersion ??= 1;
  out.config ??= {};
  // Kept so the validator names it: it is not React Flow state, so it may be someone's data.
  if (leftover) out.data = leftover;
  return out;
}

function edgeV0ToV1(edge: Json, usedIds: Set<string>): Json {
  const { sourceHandle, targetHandle, data, ...others } = without(edge, REACT_FLOW_EDGE_UI);
  const out: Json = {
    ...others,
    sourcePort: others.sourcePort ?? sourceHandle ?? 'out',
    targetPort: others.targetPort ?? targetHandle ?? 'in',
  };
  if (isObject(data) ? Object.keys(data).length > 0 : data !== undefined) out.data = data;
  if (out.id === undefined || out.id === null) {
    const base = `${String(out.source)}:${String(out.sourcePort)}->${String(out.target)}:${String(out.targetPort)}`;
    let id = base;
    for (let n = 2; usedIds.has(id); n++) id = `${base}-${n}`;
    usedIds.add(id);
    out.id = id;
  }
  return out;
}

/** The document migration chain, in order; `DOCUMENT_MIGRATIONS[i].from === i`. */
export const DOCUMENT_MIGRATIONS: readonly DocumentMigrationStep[] = [v0ToV1];

export type DocumentMigrationResult =
  | {
      ok: true;
      doc: unknown;
      /** The version the input had (0 when it had no `schemaVersion`). */
      from: number;
      /** Descriptions of the steps that ran, oldest first. */
      applied: string[];
    }
  | { ok: false; code: 'E_SCHEMA_VERSION' | 'E_MIGRATION_FAILED'; message: string; from: number };

/** @deprecated Use `DocumentMigrationResult`. */
export type DocumentMigration = DocumentMigrationResult;

export interface MigrateDocumentOptions {
  /** The chain to run (tests pass their own). */
  steps?: readonly DocumentMigrationStep[];
  /** The version to reach. */
  target?: number;
}

/**
 * Brings a parsed document up to the current `schemaVersion` (a missing `schemaVersion` means
 * version 0). Current documents, and anything whose version is not a whole number or that is not
 * an object, pass through untouched: the schema check reports them.
 *
 * @example
 * const migrated = migrateDocument(JSON.parse(text));
 * if (migrated.ok) save(migrated.doc); else console.error(migrated.message);
 */
export function migrateDocument(input: unknown, options: MigrateDocumentOptions = {}): DocumentMigrationResult {
  const steps = options.steps ?? DOCUMENT_MIGRATIONS;
  const target = options.target ?? CURRENT_SCHEMA_VERSION;
  if (!isObject(input)) return { ok: true, doc: input, from: target, applied: [] };
  const raw = input.schemaVersion === undefined ? 0 : input.schemaVersion;
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 0)
    return { ok: true, doc: input, from: target, applied: [] };
  if (raw > target) {
    return {
      ok: false,
      code: 'E_SCHEMA_VERSION',
      from: raw,
      message: `schemaVersion ${raw} is newer than this Tributary understands (${target}); upgrade Tributary to open it`,
    };
  }
  let doc: Json = input;
  const applied: string[] = [];
  for (let v = raw; v < target; v++) {
    const step = steps.find((s) => s.from === v);
    if (!step)
      return { ok: false, code: 'E_MIGRATION_FAILED', from: raw, message: `no migration from schemaVersion ${v}` };
    try {
      doc = step.up(doc);
    } catch (error) {
      return {
        ok: false,
        code: 'E_MIGRATION_FAILED',
        from: raw,
        message: `upgrading from schemaVersion ${v} (${step.description}) failed: ${(error as Error).message}`,
      };
    }
    applied.push(step.description);
  }
  return { ok: true, doc, from: raw, applied };
}

/**
 * Runs a node type's config migrations from `fromVersion` up to its current `typeVersion`
 * (`manifest.migrations[n]` turns version n into n + 1). Throws when a step is missing, throws, or
 * returns something that is not an object; the message names the node type and the step.
 *
 * @example
 * // a filter whose v1 config called the field `expr`:
 * migrateNodeConfig(filterManifest, 1, { expr: 'value > 1' }) // { expression: 'value > 1' }
 */
export function migrateNodeConfig(
  manifest: Pick<NodeManifest, 'type' | 'typeVersion' | 'migrations'>,
  fromVersion: number,
  config: Record<string, unknown>,
): Record<string, unknown> {
  if (fromVersion > manifest.typeVersion)
    throw new Error(
      `${manifest.type}: typeVersion ${fromVersion} is newer than the installed one (${manifest.typeVersion})`,
    );
  let current = config;
  for (let v = fromVersion; v < manifest.typeVersion; v++) {
    const step = manifest.migrations?.[v];
    if (!step) throw new Error(`${manifest.type}: no config migration from typeVersion ${v} to ${v + 1}`);
    let next: unknown;
    try {
      next = step(current);
    } catch (error) {
      throw new Error(
        `${manifest.type}: config migration from typeVersion ${v} to ${v + 1} failed: ${(error as Error).message}`,
        { cause: error },
      );
    }
    if (!isObject(next))
      throw new Error(`${manifest.type}: config migration from typeVersion ${v} to ${v + 1} returned no object`);
    current = next;
  }
  return current;
}
