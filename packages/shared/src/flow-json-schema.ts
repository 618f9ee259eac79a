import { z } from 'zod';
import { FlowDocumentSchema } from './flow-document.js';

/** The published JSON Schema of flow documents (committed as flow.schema.json). */
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

export function flowJsonSchemaText(): string {
  return JSON.stringify(flowJsonSchema(), null, 2) + '\n';
}
