import { z } from 'zod';
import { FlowDocumentSchema } from './flow-document.js';

/**
 * The published JSON Schema of flow documents (committed as `flow.schema.json`, exported as
 * `@tributary/shared/flow.schema.json`), generated from `FlowDocumentSchema`. It checks a file's
 * shape only: node configs are checked by each node type (`validateFlow`).
 *
 * @example
 * const schema = flowJsonSchema(); // { $id, title, type: 'object', properties: { schemaVersion, id, … } }
 * // Editors: map "*.flow.json" to node_modules/@tributary/shared/flow.schema.json (e.g. VS Code's json.schemas).
 */
export function flowJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(FlowDocumentSchema, { io: 'input' }) as Record<string, unknown>;
  return {
    $schema: schema.$schema,
    $id: 'https://tributary.dev/schemas/flow.schema.json',
    title: 'Tributary flow document',
    description: 'A Tributary flow: nodes, edges and shared connections. Node configs are checked by each node type.',
    ...Object.fromEntries(Object.entries(schema).filter(([k]) => k !== '$schema')),
  };
}

/** `flowJsonSchema()` as the committed file's text (2-space indent, trailing newline). */
export function flowJsonSchemaText(): string {
  return JSON.stringify(flowJsonSchema(), null, 2) + '\n';
}
