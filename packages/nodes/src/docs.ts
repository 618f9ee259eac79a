import {
  NODE_KINDS,
  toConnectionTypeInfo,
  toNodeTypeInfo,
  type ConnectionTypeManifest,
  type NodeManifest,
} from '@tributary/shared';

interface PropertySchema {
  type?: string | string[];
  enum?: unknown[];
  default?: unknown;
  description?: string;
  items?: PropertySchema;
  anyOf?: PropertySchema[];
  ui?: { label?: string; help?: string; secret?: boolean; widget?: string; unit?: string };
}

const UNIT_WORDS: Record<string, string> = { ms: 'milliseconds', s: 'seconds' };

/** A duration's unit, as declared in its hints: numbers say what one is, texts carry their own. */
function durationOf(p: PropertySchema): string | undefined {
  if (p.ui?.widget !== 'duration') return undefined;
  if (p.ui.unit) return `duration in ${UNIT_WORDS[p.ui.unit] ?? p.ui.unit}`;
  return 'duration with its unit (`500ms`, `30s`, `5m`, `1h`, `1d`)';
}

const KIND_TITLES = { source: 'Sources', handler: 'Handlers', cache: 'Caches', sink: 'Sinks' } as const;

function typeOf(p: PropertySchema): string {
  if (p.enum) return p.enum.map((v) => `\`${JSON.stringify(v)}\``).join(' \\| ');
  if (p.anyOf) return p.anyOf.map(typeOf).join(' \\| ');
  if (p.type === 'array') return `${p.items ? typeOf(p.items) : 'any'}[]`;
  if (Array.isArray(p.type)) return p.type.join(' \\| ');
  return p.type ?? 'any';
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function fieldTable(schema: Record<string, unknown>): string[] {
  const properties = (schema.properties ?? {}) as Record<string, PropertySchema>;
  const required = new Set((schema.required ?? []) as string[]);
  const names = Object.keys(properties);
  if (names.length === 0) return ['No settings.', ''];
  const rows = names.map((name) => {
    const p = properties[name]!;
    const help = p.description ?? p.ui?.help ?? '';
    const secret = p.ui?.secret || p.ui?.widget === 'secret' ? ' Secret: write `${env:NAME}` or `${cred:NAME}`.' : '';
    const def = p.default === undefined ? (required.has(name) ? 'required' : '') : `\`${JSON.stringify(p.default)}\``;
    const duration = durationOf(p);
    const type = duration ? `${typeOf(p)}: ${duration}` : typeOf(p);
    return `| \`${name}\` | ${cell(type)} | ${def} | ${cell(help + secret)} |`;
  });
  return ['| setting | type | default | description |', '| --- | --- | --- | --- |', ...rows, ''];
}

/** The node reference (docs/nodes.md), generated from the manifests so it cannot drift from them. */
export function nodesMarkdown(
  manifests: readonly NodeManifest[],
  connections: readonly ConnectionTypeManifest[],
): string {
  const out: string[] = [
    '# Node reference',
    '',
    '<!-- Generated from the node manifests by `pnpm --filter @tributary/nodes run docs`; do not edit by hand. -->',
    '',
    'Every node also has an implicit `error` output: wire it to dead-letter failed messages (each carries',
    '`meta.error` with the code, message and node id); unwired, errors are counted and logged.',
    '',
  ];
  for (const kind of NODE_KINDS) {
    const ofKind = manifests.filter((m) => m.kind === kind);
    if (ofKind.length === 0) continue;
    out.push(`## ${KIND_TITLES[kind]}`, '');
    for (const manifest of ofKind) {
      const info = toNodeTypeInfo(manifest);
      out.push(`### ${info.label} (\`${info.type}\`)`, '', info.description, '');
      const ports = [
        info.inputs.length ? `inputs: ${info.inputs.map((p) => `\`${p.name}\``).join(', ')}` : 'no inputs',
        `outputs: ${[...info.outputs.map((p) => `\`${p.name}\``), '`error`'].join(', ')}`,
      ];
      out.push(`Ports — ${ports.join('; ')}.`, '');
      if (info.docs) out.push(info.docs, '');
      out.push(...fieldTable(info.configSchema));
    }
  }
  if (connections.length > 0) {
    out.push('## Connections', '', 'Shared settings referenced by id from many nodes (`connections` in the flow).', '');
    for (const connection of connections) {
      const info = toConnectionTypeInfo(connection);
      out.push(`### ${info.label} (\`${info.type}\`)`, '', info.description, '', ...fieldTable(info.configSchema));
    }
  }
  return (
    out
      .join('\n')
      .replace(/\n{3,}/g, '\n\n')
      .trimEnd() + '\n'
  );
}
