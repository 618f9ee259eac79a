import { z } from 'zod';
import { compileHints, valuesAt, type HintedField } from './field-hints.js';
import {
  ConnectionSchema,
  FlowDocumentSchema,
  FlowEdgeSchema,
  FlowNodeSchema,
  IdSchema,
  type Connection,
  type FlowDocument,
  type FlowEdge,
  type FlowNode,
} from './flow-document.js';
import { edgeEndProblems, findCycles, manifestMap, upstreamOf, type GraphEdge } from './graph.js';
import { parseJsonText } from './json-text.js';
import { migrateDocument, migrateNodeConfig } from './migrations.js';
import type { ConnectionTypeManifest, NodeManifest } from './node-contract.js';
import { toPointer, type FlowProblem, type ProblemCode } from './problems.js';
import { isSecretReference } from './secrets.js';

/** The node and connection types a flow is checked against (lists or maps keyed by `type`). */
export interface NodeCatalog {
  nodeTypes: ReadonlyMap<string, NodeManifest> | readonly NodeManifest[];
  /** When left out, connections are not checked against their types (an unknown type is no problem). */
  connectionTypes?: readonly ConnectionTypeManifest[] | ReadonlyMap<string, ConnectionTypeManifest>;
}

export type ValidationResult = { ok: true; flow: FlowDocument } | { ok: false; problems: FlowProblem[] };

type Extra = Pick<FlowProblem, 'nodeId' | 'edgeId' | 'connectionId'>;

/** An item of one of the document's lists, with its index in the document (for pointers). */
interface Indexed<T> {
  value: T;
  index: number;
}

/** What the structure check could make of a document. */
interface Structure {
  /** The whole document, when its shape is right. */
  doc?: FlowDocument;
  /** Well-formed items (all of them when `doc` is set), so graph checks can go on after shape problems. */
  nodes: Indexed<FlowNode>[];
  edges: Indexed<FlowEdge>[];
  connections: Indexed<Connection>[];
  /**
   * Nodes with shape problems elsewhere whose id and type can still be read: they take part in the
   * graph checks (duplicate ids, unknown types, edge ends and ports, cycles), not in config checks.
   */
  graphOnlyNodes: Indexed<{ id: string; type: string }>[];
  /** Ids of nodes that are present but malformed: edges to them are not "to a missing node". */
  malformedNodeIds: Set<string>;
  problems: FlowProblem[];
  /** A problem after which nothing else can be said (a newer schemaVersion). */
  fatal: boolean;
}

/**
 * zod issues as flow problems: one per issue (one per unknown key), each with a JSON pointer under
 * `prefix`. A failed union reports the issues of the alternative that came closest.
 */
export function zodProblems(error: z.ZodError, prefix: string, code: ProblemCode, extra: Extra = {}): FlowProblem[] {
  const out: FlowProblem[] = [];
  addIssues(error.issues, [], prefix, code, extra, out);
  return out;
}

type Issue = z.core.$ZodIssue;

function addIssues(
  issues: readonly Issue[],
  base: readonly PropertyKey[],
  prefix: string,
  code: ProblemCode,
  extra: Extra,
  out: FlowProblem[],
): void {
  for (const issue of issues) {
    const path = [...base, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        out.push({
          code,
          path: prefix + toPointer([...path, key]),
          message: `unknown field: ${clip(String(key))}`,
          ...extra,
        });
      continue;
    }
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const branch = closestBranch(issue.errors);
      if (branch) {
        addIssues(branch, path, prefix, code, extra, out);
        continue;
      }
    }
    out.push({ code, path: prefix + toPointer(path), message: issueMessage(issue, path), ...extra });
  }
}

/** The union alternative that failed deeper than its root with the fewest issues, if any did. */
function closestBranch(branches: readonly (readonly Issue[])[]): readonly Issue[] | undefined {
  const candidates = branches.filter(
    (b) => b.length > 0 && !b.some((i) => i.path.length === 0 && i.code === 'invalid_type'),
  );
  return candidates.sort((a, b) => a.length - b.length)[0];
}

function issueMessage(issue: Issue, path: readonly PropertyKey[]): string {
  // zod's default for a missing field reads "expected string, received undefined": say "required".
  if (issue.code === 'invalid_type' && issue.input === undefined && /^Invalid input: expected /.test(issue.message)) {
    const field = path[path.length - 1];
    const what = typeof field === 'string' ? `"${field}" is required` : 'a value is required';
    return `${what} (expected ${issue.expected})`;
  }
  // "expected int, received number" for 1.5 reads like a contradiction.
  if (
    issue.code === 'invalid_type' &&
    typeof issue.input === 'number' &&
    issue.message.startsWith('Invalid input: expected int,')
  )
    return `Invalid input: expected a whole number, received ${issue.input}`;
  return issue.message;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

const OWNER_KEY = { nodes: 'nodeId', edges: 'edgeId', connections: 'connectionId' } as const;

/** The node, edge or connection a pointer into the document points into, when its id can be read. */
function ownerOf(doc: Record<string, unknown>, path: string): Extra {
  const match = /^\/(nodes|edges|connections)\/(\d+)(\/|$)/.exec(path);
  if (!match) return {};
  const list = doc[match[1]!];
  const item: unknown = Array.isArray(list) ? list[Number(match[2])] : undefined;
  const id = isObject(item) ? item.id : undefined;
  return typeof id === 'string' ? { [OWNER_KEY[match[1] as keyof typeof OWNER_KEY]]: id } : {};
}

/**
 * `__proto__` keys inside node and connection configs. `JSON.parse` keeps them as plain keys, but
 * copying the object (as zod does) drops them or turns them into the copy's prototype: the value
 * would be lost on save, or read where it was never written. The document's own objects are strict,
 * so zod already reports the key there.
 */
function protoKeyProblems(doc: unknown): FlowProblem[] {
  const problems: FlowProblem[] = [];
  if (!isObject(doc)) return problems;
  for (const list of ['nodes', 'connections'] as const) {
    const items = doc[list];
    if (!Array.isArray(items)) continue;
    items.forEach((item: unknown, index) => {
      if (!isObject(item) || !isObject(item.config)) return;
      const extra = typeof item.id === 'string' ? { [OWNER_KEY[list]]: item.id } : {};
      const prefix = `/${list}/${index}/config`;
      const segments: string[] = []; // the pointer is only built for a key that is reported
      const visit = (value: unknown): void => {
        if (value === null || typeof value !== 'object' || segments.length > 256) return;
        for (const key of Object.keys(value)) {
          segments.push(key);
          if (key === '__proto__')
            problems.push({
              code: 'E_SCHEMA',
              path: prefix + toPointer(segments),
              message: '"__proto__" cannot be used as a field name',
              ...extra,
            });
          else visit((value as Record<string, unknown>)[key]);
          segments.pop();
        }
      };
      visit(item.config);
    });
  }
  return problems;
}

/** What the graph checks need of a node that is otherwise malformed (other keys are not looked at). */
const NodeIdentitySchema = z.object({ id: IdSchema, type: z.string().min(1) });

/** Migrations, then the document schema; on shape problems, keeps every item that is well formed. */
function checkStructure(input: unknown): Structure {
  const structure: Structure = {
    nodes: [],
    edges: [],
    connections: [],
    graphOnlyNodes: [],
    malformedNodeIds: new Set(),
    problems: [],
    fatal: false,
  };
  const migrated = migrateDocument(input);
  if (!migrated.ok) {
    structure.problems.push({ code: migrated.code, path: '/schemaVersion', message: migrated.message });
    structure.fatal = true;
    return structure;
  }
  // reportInput lets issueMessage tell a missing field from a wrong one.
  const parsed = FlowDocumentSchema.safeParse(migrated.doc, { reportInput: true });
  // zod copies records (configs) key by key, and a `__proto__` key does not survive the copy.
  append(structure.problems, protoKeyProblems(migrated.doc));
  if (parsed.success) {
    const doc = parsed.data;
    structure.doc = doc;
    structure.nodes = doc.nodes.map((value, index) => ({ value, index }));
    structure.edges = doc.edges.map((value, index) => ({ value, index }));
    structure.connections = (doc.connections ?? []).map((value, index) => ({ value, index }));
    return structure;
  }
  const raw = migrated.doc;
  const problems = zodProblems(parsed.error, '', 'E_SCHEMA');
  structure.problems = append(problems, structure.problems);
  if (isObject(raw)) for (const problem of problems) Object.assign(problem, ownerOf(raw, problem.path));
  if (!isObject(raw)) return structure;
  const salvage = <T>(list: unknown, schema: z.ZodType<T>, onBad?: (item: unknown) => void): Indexed<T>[] => {
    if (!Array.isArray(list)) return [];
    const kept: Indexed<T>[] = [];
    list.forEach((item, index) => {
      const result = schema.safeParse(item);
      if (result.success) kept.push({ value: result.data, index });
      else onBad?.(item);
    });
    return kept;
  };
  structure.nodes = salvage(raw.nodes, FlowNodeSchema);
  const kept = new Set(structure.nodes.map((n) => n.index));
  if (Array.isArray(raw.nodes)) {
    raw.nodes.forEach((item: unknown, index) => {
      if (kept.has(index)) return;
      const identity = NodeIdentitySchema.safeParse(item);
      if (identity.success) structure.graphOnlyNodes.push({ value: identity.data, index });
      else if (isObject(item) && typeof item.id === 'string') structure.malformedNodeIds.add(item.id);
    });
  }
  structure.edges = salvage(raw.edges, FlowEdgeSchema);
  structure.connections = salvage(raw.connections, ConnectionSchema);
  return structure;
}

/**
 * Checks only the shape of a flow document (after document migrations): enough to save a draft
 * whose node configs are not finished. `flow` is the migrated document, configs untouched.
 *
 * @example
 * const parsed = parseFlowDocument(body);
 * if (!parsed.ok) return res.status(400).json({ error: { code: 'E_FLOW_INVALID', problems: parsed.problems } });
 */
export function parseFlowDocument(input: unknown): ValidationResult {
  const structure = checkStructure(input);
  return structure.doc && structure.problems.length === 0
    ? { ok: true, flow: structure.doc }
    : { ok: false, problems: structure.problems };
}

/**
 * Checks a flow document (already parsed from JSON) against the installed node and connection
 * types, and returns every problem at once, each with a stable code (`PROBLEM_CODES`), a JSON
 * pointer and a plain message. Older documents are migrated first (`migrateDocument`).
 *
 * Checked: the document's shape (unknown fields included), node types and their `typeVersion`,
 * duplicate ids and edges, edge ends and ports (`error` is an output of every node), no inputs
 * into sources and no outputs from sinks (their `error` port excepted), cycles, each node's config
 * against its type's schema (after its `typeVersion` migrations), connection references and
 * connection configs, and secrets written in clear where a `${env:…}` / `${cred:…}` reference
 * belongs. A disabled node is not run, so its config is not required to be complete; its secrets
 * are still checked.
 *
 * On success `flow` is the document with every node's config migrated to the current
 * `typeVersion` and parsed by its schema (defaults filled in), and each connection's config parsed
 * by its type's schema when connection types were given.
 *
 * @example
 * const result = validateFlow(JSON.parse(text), { nodeTypes: nodeManifests, connectionTypes });
 * if (result.ok) await startFlow(result.flow);
 * else for (const p of result.problems) console.log(`${p.path}: ${p.message} [${p.code}]`);
 */
export function validateFlow(input: unknown, catalog: NodeCatalog): ValidationResult {
  const structure = checkStructure(input);
  if (structure.fatal) return { ok: false, problems: structure.problems };
  const problems = structure.problems;
  const nodeTypes = manifestMap(catalog.nodeTypes);
  const connectionTypes = catalog.connectionTypes === undefined ? undefined : manifestMap(catalog.connectionTypes);

  const graphNodes = [...structure.nodes, ...structure.graphOnlyNodes].sort((a, b) => a.index - b.index);
  const nodeIndex = firstIds('nodes', graphNodes, problems, (id) => ({ nodeId: id }));
  firstIds('edges', structure.edges, problems, (id) => ({ edgeId: id }));
  firstIds('connections', structure.connections, problems, (id) => ({ connectionId: id }));
  // A duplicated connection id resolves to its first definition (the duplicate is reported above).
  const connectionById = new Map<string, Connection>();
  for (const { value } of structure.connections) if (!connectionById.has(value.id)) connectionById.set(value.id, value);

  const parsedConnections = new Map<number, Record<string, unknown>>();
  for (const { value: connection, index } of structure.connections) {
    if (!connectionTypes) continue;
    const at = `/connections/${index}`;
    const extra: Extra = { connectionId: connection.id };
    const type = connectionTypes.get(connection.type);
    if (!type) {
      problems.push({
        code: 'E_UNKNOWN_CONNECTION_TYPE',
        path: `${at}/type`,
        message: `unknown connection type "${clip(connection.type)}"${suggest(connection.type, [...connectionTypes.keys()])}`,
        ...extra,
      });
      continue;
    }
    const result = type.config.safeParse(connection.config, { reportInput: true });
    if (result.success) parsedConnections.set(index, result.data as Record<string, unknown>);
    else append(problems, zodProblems(result.error, `${at}/config`, 'E_CONNECTION_INVALID', extra));
    const hints = compileHints(type.config);
    checkSecrets(hints.secrets, connection.config, `${at}/config`, problems, extra);
  }

  const manifests = new Map<number, NodeManifest>();
  const parsedNodes = new Map<number, FlowNode>();
  const wellFormed = new Map(structure.nodes.map((n) => [n.index, n.value]));
  for (const { value: identity, index } of graphNodes) {
    const at = `/nodes/${index}`;
    const extra: Extra = { nodeId: identity.id };
    const manifest = nodeTypes.get(identity.type);
    if (!manifest) {
      problems.push({
        code: 'E_UNKNOWN_NODE_TYPE',
        path: `${at}/type`,
        message: `unknown node type "${clip(identity.type)}"${suggest(identity.type, [...nodeTypes.keys()])}`,
        ...extra,
      });
      continue;
    }
    manifests.set(index, manifest);
    // A node with shape problems is in the graph checks only; its config waits until its shape is right.
    const node = wellFormed.get(index);
    if (node === undefined) continue;
    if (node.typeVersion > manifest.typeVersion) {
      problems.push({
        code: 'E_TYPE_VERSION',
        path: `${at}/typeVersion`,
        message: `"${clip(node.type)}" typeVersion ${node.typeVersion} is newer than the installed one (${manifest.typeVersion}): upgrade the node type`,
        ...extra,
      });
      continue;
    }
    let config: Record<string, unknown>;
    try {
      config = migrateNodeConfig(manifest, node.typeVersion, node.config);
    } catch (error) {
      problems.push({ code: 'E_CONFIG_MIGRATION', path: `${at}/config`, message: (error as Error).message, ...extra });
      continue;
    }
    const hints = compileHints(manifest.config);
    if (hints.error !== undefined) {
      problems.push({
        code: 'E_NODE_TYPE_INVALID',
        path: `${at}/type`,
        message: `node type "${clip(node.type)}" has a config schema that cannot be inspected: ${hints.error}`,
        ...extra,
      });
    }
    checkSecrets(hints.secrets, config, `${at}/config`, problems, extra);
    const result = manifest.config.safeParse(config, { reportInput: true });
    if (result.success) {
      parsedNodes.set(index, {
        ...node,
        typeVersion: manifest.typeVersion,
        config: result.data as Record<string, unknown>,
      });
    } else if (!node.disabled) {
      const found = zodProblems(result.error, `${at}/config`, 'E_CONFIG_INVALID', extra);
      // Paths and names are those of the current version: say so when the file has an older one.
      if (node.typeVersion < manifest.typeVersion)
        for (const p of found) p.message += ` (config upgraded from typeVersion ${node.typeVersion})`;
      append(problems, found);
    }
    if (!node.disabled) checkConnectionRefs(hints.connections, config, `${at}/config`, connectionById, problems, extra);
  }

  const graphEdges: FlowEdge[] = [];
  const edgeIndexByKey = new Map<string, number>();
  for (const { value: edge, index } of structure.edges) {
    const at = `/edges/${index}`;
    const extra: Extra = { edgeId: edge.id };
    let ok = true;
    const end = (side: 'source' | 'target'): NodeManifest | undefined => {
      const id = edge[side];
      const i = nodeIndex.get(id);
      if (i === undefined) {
        ok = false;
        if (!structure.malformedNodeIds.has(id))
          problems.push({
            code: 'E_EDGE_MISSING_NODE',
            path: `${at}/${side}`,
            message: `${side} node "${id}" is not in this flow`,
            ...extra,
          });
        return undefined;
      }
      return manifests.get(i);
    };
    const sm = end('source');
    const tm = end('target');
    for (const problem of edgeEndProblems(edge, sm, tm)) {
      ok = false;
      const owner = problem.code === 'E_EDGE_MISSING_PORT' ? {} : { nodeId: problem.nodeId };
      problems.push({
        code: problem.code,
        path: `${at}/${problem.field}`,
        message: problem.message,
        ...extra,
        ...owner,
      });
    }
    const key = JSON.stringify([edge.source, edge.sourcePort, edge.target, edge.targetPort]);
    const first = edgeIndexByKey.get(key);
    if (first === undefined) edgeIndexByKey.set(key, index);
    else {
      ok = false;
      problems.push({
        code: 'E_DUPLICATE_EDGE',
        path: at,
        message: `edge "${edge.id}" repeats /edges/${first}: both join ${edge.source}.${edge.sourcePort} to ${edge.target}.${edge.targetPort}`,
        ...extra,
      });
    }
    if (ok) graphEdges.push(edge);
  }

  const edgeAt = new Map(structure.edges.map((e) => [e.value, e.index]));
  for (const cycle of findCycles(
    graphNodes.map((n) => n.value.id),
    graphEdges,
  )) {
    const last = cycle[cycle.length - 1]!;
    const closing = graphEdges.find((e) => e.source === last && e.target === cycle[0])!;
    problems.push({
      code: 'E_CYCLE',
      path: `/edges/${edgeAt.get(closing)!}`,
      message:
        cycle.length === 1
          ? `node "${cycle[0]}" feeds itself (flows must be acyclic)`
          : `these nodes form a loop: ${[...cycle, cycle[0]].join(' → ')} (flows must be acyclic)`,
      nodeId: cycle[0],
      edgeId: closing.id,
    });
  }

  if (problems.length > 0 || !structure.doc) return { ok: false, problems };
  checkHolds(structure.nodes, manifests, parsedNodes, graphEdges, problems);
  if (problems.length > 0) return { ok: false, problems };
  const doc = structure.doc;
  const flow: FlowDocument = {
    ...doc,
    nodes: doc.nodes.map((node, i) => parsedNodes.get(i) ?? node),
    ...(doc.connections
      ? {
          connections: doc.connections.map((c, i) => {
            const config = parsedConnections.get(i);
            return config ? { ...c, config } : c;
          }),
        }
      : {}),
  };
  return { ok: true, flow };
}

/**
 * A node that holds inputs until a later event (a window until its watermark passes) needs more
 * input to let them go; a source that stops reading at fewer unconfirmed messages than the node
 * may hold never sends it: a deadlock, refused here rather than found in production.
 */
function checkHolds(
  nodes: readonly Indexed<FlowNode>[],
  manifests: ReadonlyMap<number, NodeManifest>,
  parsed: ReadonlyMap<number, FlowNode>,
  edges: readonly GraphEdge[],
  problems: FlowProblem[],
): void {
  const byId = new Map(nodes.map(({ value, index }) => [value.id, index]));
  for (const { value: node, index } of nodes) {
    const manifest = manifests.get(index);
    if (manifest?.maxHeld === undefined || node.disabled) continue;
    const held = manifest.maxHeld(parsed.get(index)?.config ?? node.config);
    for (const upstream of upstreamOf(node.id, edges)) {
      const at = byId.get(upstream);
      if (at === undefined || upstream === node.id) continue;
      const source = manifests.get(at);
      const limit = source?.maxUnconfirmed?.(
        parsed.get(at)?.config ?? nodes.find((n) => n.index === at)?.value.config ?? {},
      );
      if (limit === undefined || held < limit) continue;
      problems.push({
        code: 'E_HOLD_DEADLOCK',
        path: `/nodes/${index}/config`,
        message: `node "${node.id}" may hold up to ${held} unconfirmed messages, but source "${upstream}" stops reading at ${limit} unconfirmed: the windows would wait for input that never comes. Set the node's Max held below ${limit}, or raise the source's limit`,
        nodeId: node.id,
      });
    }
  }
}

/** Reports repeated ids in one list; returns each id's first index. */
function firstIds(
  list: 'nodes' | 'edges' | 'connections',
  items: readonly Indexed<{ id: string }>[],
  problems: FlowProblem[],
  extra: (id: string) => Extra,
): Map<string, number> {
  const first = new Map<string, number>();
  for (const { value, index } of items) {
    const seen = first.get(value.id);
    if (seen === undefined) first.set(value.id, index);
    else
      problems.push({
        code: 'E_DUPLICATE_ID',
        path: `/${list}/${index}/id`,
        message: `id "${value.id}" is already used by /${list}/${seen}`,
        ...extra(value.id),
      });
  }
  return first;
}

function checkSecrets(
  fields: readonly HintedField[],
  config: unknown,
  prefix: string,
  problems: FlowProblem[],
  extra: Extra,
): void {
  for (const field of fields) {
    for (const { path, value } of valuesAt(config, field.path)) {
      if (value === undefined || value === null || value === '' || isSecretReference(value)) continue;
      problems.push({
        code: 'E_SECRET_IN_CLEAR',
        path: prefix + toPointer(path),
        message: `a secret must not be written in the flow: use a reference such as \${env:NAME} or \${cred:NAME}`,
        ...extra,
      });
    }
  }
}

function checkConnectionRefs(
  fields: readonly HintedField[],
  config: unknown,
  prefix: string,
  connections: ReadonlyMap<string, Connection>,
  problems: FlowProblem[],
  extra: Extra,
): void {
  for (const field of fields) {
    for (const { path, value } of valuesAt(config, field.path)) {
      if (typeof value !== 'string' || value === '') continue; // the config schema says whether it is required
      const connection = connections.get(value);
      const wanted = field.ui.connectionType;
      if (!connection) {
        problems.push({
          code: 'E_CONNECTION_MISSING',
          path: prefix + toPointer(path),
          message: `connection "${value}" is not defined in this flow's connections${wanted ? ` (add a ${wanted} connection)` : ''}`,
          ...extra,
        });
      } else if (wanted && connection.type !== wanted) {
        problems.push({
          code: 'E_CONNECTION_TYPE',
          path: prefix + toPointer(path),
          message: `connection "${value}" is a ${connection.type} connection; this field needs a ${wanted} connection`,
          ...extra,
        });
      }
    }
  }
}

/** Longest name a "did you mean" is looked for: type ids are short, and the work grows with the length. */
const SUGGEST_MAX_LENGTH = 64;

function suggest(name: string, known: readonly string[]): string {
  // Bounded work per request: a megabyte-long type is no typo of a short one.
  if (name.length > SUGGEST_MAX_LENGTH) return '';
  const limit = Math.max(1, Math.floor(name.length / 3));
  const close = known.filter(
    (k) =>
      (Math.abs(k.length - name.length) <= limit && editDistance(k, name) <= limit) ||
      (name.length >= 3 && (k.includes(name) || name.includes(k))),
  );
  return close.length > 0 ? ` (did you mean ${close.map((c) => `"${c}"`).join(' or ')}?)` : '';
}

/** Optimal string alignment distance: Levenshtein where swapping two neighbours counts as one edit. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** A value quoted in a message, cut short: an answer must not echo a megabyte back. */
export function clip(text: string, max = 80): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} chars)`;
}

/**
 * Appends in place without spreading (`push(...items)` passes every item as an argument and
 * overflows the stack past ~125,000 of them); returns `target`.
 */
function append<T>(target: T[], items: readonly T[]): T[] {
  for (const item of items) target.push(item);
  return target;
}

/**
 * `validateFlow` from the raw text of a file: malformed JSON is an `E_JSON_MALFORMED` problem
 * whose message gives the line and column.
 *
 * @example
 * const result = validateFlowText(await readFile('orders.flow.json', 'utf8'), catalog);
 */
export function validateFlowText(text: string, catalog: NodeCatalog): ValidationResult {
  const parsed = parseJsonText(text);
  return parsed.ok ? validateFlow(parsed.value, catalog) : { ok: false, problems: [parsed.problem] };
}
