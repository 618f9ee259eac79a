import type { z } from 'zod';
import { hintedFields, valuesAt } from './field-hints.js';
import { FlowDocumentSchema, type FlowDocument } from './flow-document.js';
import { outputPorts, topologicalOrder } from './graph.js';
import { migrateDocument, migrateNodeConfig } from './migrations.js';
import { ERROR_PORT, type ConnectionTypeManifest, type NodeManifest } from './node-contract.js';
import { pointerSegment, toPointer, type FlowProblem } from './problems.js';
import { isSecretReference } from './secrets.js';

/** The node and connection types a flow is checked against. */
export interface NodeCatalog {
  nodeTypes: ReadonlyMap<string, NodeManifest> | readonly NodeManifest[];
  connectionTypes?: ReadonlyMap<string, ConnectionTypeManifest> | readonly ConnectionTypeManifest[];
}

export type ValidationResult = { ok: true; flow: FlowDocument } | { ok: false; problems: FlowProblem[] };

const byType = <T extends { type: string }>(list: ReadonlyMap<string, T> | readonly T[] | undefined) =>
  list === undefined
    ? undefined
    : list instanceof Map
      ? (list as ReadonlyMap<string, T>)
      : new Map((list as readonly T[]).map((m) => [m.type, m]));

function zodProblems(error: z.ZodError, prefix: string, code: string, extra: Partial<FlowProblem> = {}): FlowProblem[] {
  return error.issues.map((issue) => {
    let message = issue.message;
    if (issue.code === 'unrecognized_keys')
      message = `unknown field${issue.keys.length > 1 ? 's' : ''}: ${issue.keys.join(', ')}`;
    return { code, path: prefix + toPointer(issue.path), message, ...extra };
  });
}

/**
 * Checks a flow document (already parsed from JSON) and returns every problem, each with a code, a
 * JSON pointer and a plain message. On success, `flow` has every node's config migrated to its
 * current `typeVersion` and parsed by its schema (defaults filled in).
 *
 * @example
 * const result = validateFlow(JSON.parse(text), { nodeTypes: nodeManifests, connectionTypes });
 * if (!result.ok) for (const p of result.problems) console.log(`${p.path}: ${p.message} [${p.code}]`);
 */
export function validateFlow(input: unknown, catalog: NodeCatalog): ValidationResult {
  const migrated = migrateDocument(input);
  if (!migrated.ok)
    return { ok: false, problems: [{ code: 'E_SCHEMA_VERSION', path: '/schemaVersion', message: migrated.message }] };
  const parsed = FlowDocumentSchema.safeParse(migrated.doc);
  if (!parsed.success) return { ok: false, problems: zodProblems(parsed.error, '', 'E_SCHEMA') };
  const doc = parsed.data;
  const nodeTypes = byType(catalog.nodeTypes)!;
  const connectionTypes = byType(catalog.connectionTypes);
  const problems: FlowProblem[] = [];

  const firstIndex = (kind: 'nodes' | 'edges' | 'connections', items: readonly { id: string }[]) => {
    const seen = new Map<string, number>();
    items.forEach((item, i) => {
      const first = seen.get(item.id);
      if (first === undefined) seen.set(item.id, i);
      else
        problems.push({
          code: 'E_DUPLICATE_ID',
          path: `/${kind}/${i}/id`,
          message: `id "${item.id}" is already used by /${kind}/${first}`,
        });
    });
    return seen;
  };
  const nodeIndex = firstIndex('nodes', doc.nodes);
  firstIndex('edges', doc.edges);
  const connections = doc.connections ?? [];
  const connectionIndex = firstIndex('connections', connections);

  // Connections: their own schema, and secrets by reference only.
  connections.forEach((connection, i) => {
    const type = connectionTypes?.get(connection.type);
    if (!connectionTypes) return;
    if (!type) {
      problems.push({
        code: 'E_UNKNOWN_CONNECTION_TYPE',
        path: `/connections/${i}/type`,
        message: `unknown connection type "${connection.type}" (known: ${[...connectionTypes.keys()].join(', ')})`,
      });
      return;
    }
    const result = type.config.safeParse(connection.config);
    if (!result.success)
      problems.push(...zodProblems(result.error, `/connections/${i}/config`, 'E_CONNECTION_INVALID'));
    checkSecrets(type.config, connection.config, `/connections/${i}/config`, problems, {});
  });

  // Nodes: known type, version, config schema, secrets, connection references.
  const manifests: (NodeManifest | undefined)[] = doc.nodes.map((node, i) => {
    const manifest = nodeTypes.get(node.type);
    if (!manifest) {
      problems.push({
        code: 'E_UNKNOWN_NODE_TYPE',
        path: `/nodes/${i}/type`,
        message: `unknown node type "${node.type}"${suggest(node.type, [...nodeTypes.keys()])}`,
        nodeId: node.id,
      });
      return undefined;
    }
    const at = `/nodes/${i}`;
    if (node.typeVersion > manifest.typeVersion) {
      problems.push({
        code: 'E_TYPE_VERSION',
        path: `${at}/typeVersion`,
        message: `${node.type} typeVersion ${node.typeVersion} is newer than the installed one (${manifest.typeVersion})`,
        nodeId: node.id,
      });
      return manifest;
    }
    let config: Record<string, unknown>;
    try {
      config = migrateNodeConfig(manifest, node.typeVersion, node.config);
    } catch (error) {
      problems.push({
        code: 'E_TYPE_VERSION',
        path: `${at}/typeVersion`,
        message: (error as Error).message,
        nodeId: node.id,
      });
      return manifest;
    }
    const result = manifest.config.safeParse(config);
    if (!result.success) {
      problems.push(...zodProblems(result.error, `${at}/config`, 'E_CONFIG_INVALID', { nodeId: node.id }));
    } else {
      node.config = result.data as Record<string, unknown>;
      node.typeVersion = manifest.typeVersion;
    }
    checkSecrets(manifest.config, config, `${at}/config`, problems, { nodeId: node.id });
    for (const field of hintedFields(manifest.config)) {
      if (field.ui.widget !== 'connection') continue;
      for (const { path, value } of valuesAt(config, field.path)) {
        if (typeof value !== 'string' || value === '') continue;
        const pointer = `${at}/config${toPointer(path)}`;
        const index = connectionIndex.get(value);
        if (index === undefined) {
          problems.push({
            code: 'E_CONNECTION_MISSING',
            path: pointer,
            message: `connection "${value}" is not defined in this flow's connections`,
            nodeId: node.id,
          });
        } else if (field.ui.connectionType && connections[index]!.type !== field.ui.connectionType) {
          problems.push({
            code: 'E_CONNECTION_TYPE',
            path: pointer,
            message: `connection "${value}" is a ${connections[index]!.type} connection; this field needs ${field.ui.connectionType}`,
            nodeId: node.id,
          });
        }
      }
    }
    return manifest;
  });

  // Edges: ends exist, ports exist, kinds allow them.
  const graphEdges: typeof doc.edges = [];
  doc.edges.forEach((edge, i) => {
    const at = `/edges/${i}`;
    let ok = true;
    const end = (side: 'source' | 'target') => {
      const index = nodeIndex.get(edge[side]);
      if (index === undefined) {
        problems.push({
          code: 'E_EDGE_MISSING_NODE',
          path: `${at}/${side}`,
          message: `${side} node "${edge[side]}" is not in this flow`,
          edgeId: edge.id,
        });
        ok = false;
        return undefined;
      }
      return manifests[index];
    };
    const sm = end('source');
    const tm = end('target');
    if (sm) {
      if (sm.kind === 'sink' && edge.sourcePort !== ERROR_PORT) {
        problems.push({
          code: 'E_SINK_HAS_OUTPUT',
          path: `${at}/source`,
          message: `"${edge.source}" is a sink: sinks have no outputs (only "error" may be wired)`,
          edgeId: edge.id,
          nodeId: edge.source,
        });
        ok = false;
      } else if (!outputPorts(sm).includes(edge.sourcePort)) {
        problems.push({
          code: 'E_EDGE_MISSING_PORT',
          path: `${at}/sourcePort`,
          message: `${sm.type} has no output "${edge.sourcePort}" (outputs: ${outputPorts(sm).join(', ')})`,
          edgeId: edge.id,
        });
        ok = false;
      }
    }
    if (tm) {
      if (tm.kind === 'source') {
        problems.push({
          code: 'E_SOURCE_HAS_INPUT',
          path: `${at}/target`,
          message: `"${edge.target}" is a source: sources have no inputs`,
          edgeId: edge.id,
          nodeId: edge.target,
        });
        ok = false;
      } else if (!tm.inputs.some((p) => p.name === edge.targetPort)) {
        problems.push({
          code: 'E_EDGE_MISSING_PORT',
          path: `${at}/targetPort`,
          message: `${tm.type} has no input "${edge.targetPort}" (inputs: ${tm.inputs.map((p) => p.name).join(', ') || 'none'})`,
          edgeId: edge.id,
        });
        ok = false;
      }
    }
    if (ok) graphEdges.push(edge);
  });

  const { cycle } = topologicalOrder(
    doc.nodes.map((n) => n.id),
    graphEdges,
  );
  if (cycle) {
    const onCycle = new Set(cycle);
    const closing = doc.edges.findIndex((e) => e.source === cycle[cycle.length - 1] && onCycle.has(e.target));
    problems.push({
      code: 'E_CYCLE',
      path: closing >= 0 ? `/edges/${closing}` : '/edges',
      message: `these nodes form a loop: ${[...cycle, cycle[0]].join(' → ')} (flows must be acyclic)`,
      ...(closing >= 0 ? { edgeId: doc.edges[closing]!.id } : {}),
    });
  }

  return problems.length > 0 ? { ok: false, problems } : { ok: true, flow: doc };
}

function checkSecrets(
  schema: z.ZodType,
  config: unknown,
  prefix: string,
  problems: FlowProblem[],
  extra: Partial<FlowProblem>,
): void {
  for (const field of hintedFields(schema)) {
    if (!field.ui.secret && field.ui.widget !== 'secret') continue;
    for (const { path, value } of valuesAt(config, field.path)) {
      if (value === undefined || value === null || value === '' || isSecretReference(value)) continue;
      problems.push({
        code: 'E_SECRET_IN_CLEAR',
        path: prefix + path.map((s) => '/' + pointerSegment(s)).join(''),
        message: 'a secret must not be written in the flow: use ${env:NAME} or ${cred:NAME}',
        ...extra,
      });
    }
  }
}

function suggest(name: string, known: string[]): string {
  const close = known.filter((k) => k.includes(name) || name.includes(k) || distance(k, name) <= 2);
  return close.length > 0 ? ` (did you mean ${close.map((c) => `"${c}"`).join(' or ')}?)` : '';
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

/**
 * Like `validateFlow`, from the raw text of a file: malformed JSON is reported with its line and column.
 *
 * @example
 * const result = validateFlowText(readFileSync('flow.json', 'utf8'), catalog);
 */
export function validateFlowText(text: string, catalog: NodeCatalog): ValidationResult {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    return { ok: false, problems: [{ code: 'E_JSON_MALFORMED', path: '', message: describeJsonError(text, error) }] };
  }
  return validateFlow(doc, catalog);
}

/** Turns a JSON parse failure into a message with the line and column a person can jump to. */
export function describeJsonError(text: string, error: unknown): string {
  const position = jsonErrorOffset(text);
  const reason = (error as Error).message
    .replace(/ in JSON at position \d+.*$/s, '')
    .replace(/, ".*" is not valid JSON$/s, '');
  if (position === null) return `not valid JSON: ${reason}`;
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = position - before.lastIndexOf('\n');
  return `not valid JSON at line ${line}, column ${column}: ${reason}`;
}

/**
 * Offset of the first syntax error in `text` (a small recursive-descent scan: engines do not all
 * report a position), or null when none is found.
 */
export function jsonErrorOffset(text: string): number | null {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  class SyntaxAt extends Error {
    constructor(readonly offset: number) {
      super(`JSON syntax error at ${offset}`);
    }
  }
  const fail = (): never => {
    throw new SyntaxAt(i);
  };
  const literal = (word: string) => {
    if (text.startsWith(word, i)) i += word.length;
    else fail();
  };
  const string = () => {
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') i++;
      else if (text.charCodeAt(i) < 0x20) fail();
      i++;
    }
    if (i >= text.length) fail();
    i++;
  };
  const number = () => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!match || match[0] === '' || match[0] === '-') fail();
    i += match![0].length;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        string();
        ws();
        if (text[i] !== ':') fail();
        i++;
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return;
        } else fail();
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return;
        } else fail();
      }
    } else if (c === '"') string();
    else if (c === 't') literal('true');
    else if (c === 'f') literal('false');
    else if (c === 'n') literal('null');
    else number();
  };
  try {
    value();
    ws();
    return i < text.length ? i : null;
  } catch (error) {
    return error instanceof SyntaxAt ? error.offset : null;
  }
}
