import { useMemo } from 'react';
import { marked } from 'marked';
import { ERROR_PORT, type NodeTypeInfo } from '@tributary/shared';
import { formFields, typeOf } from '../form-schema.js';

/**
 * A node type's documentation: the same text as its section of docs/nodes.md (both come from the
 * manifest: description, ports, `docs`, the settings), rendered from its Markdown.
 */
export function HelpPanel({ info }: { info: NodeTypeInfo }) {
  // The docs are the node types' own text (installed with the runtime), not user input.
  const html = useMemo(() => (info.docs ? marked.parse(info.docs, { async: false }) : ''), [info.docs]);
  const fields = formFields(info.configSchema);
  const ports = [
    info.inputs.length ? `inputs: ${info.inputs.map((p) => p.name).join(', ')}` : 'no inputs',
    `outputs: ${[...info.outputs.map((p) => p.name), ERROR_PORT].join(', ')}`,
  ];
  return (
    <div className="help-panel" data-testid="help-panel">
      <h3>
        {info.label} <code>{info.type}</code>
      </h3>
      <p>{info.description}</p>
      <p className="muted">Ports — {ports.join('; ')}.</p>
      {html && <div className="help-docs" data-testid="help-docs" dangerouslySetInnerHTML={{ __html: html }} />}
      {fields.length > 0 && (
        <table className="help-settings">
          <thead>
            <tr>
              <th>Setting</th>
              <th>Default</th>
              <th>What it does</th>
            </tr>
          </thead>
          <tbody>
            {fields.map((f) => (
              <tr key={f.key}>
                <td>
                  <strong>{f.ui.label ?? f.key}</strong>
                  <div className="muted">
                    <code>{f.key}</code> {typeOf(f.schema)}
                    {f.ui.widget === 'duration' && (f.ui.unit ? `, ${f.ui.unit}` : ', with its unit')}
                  </div>
                </td>
                <td>
                  {f.schema.default === undefined ? (f.required ? 'required' : '—') : JSON.stringify(f.schema.default)}
                  {f.ui.unit && f.schema.default !== undefined && ` ${f.ui.unit}`}
                </td>
                <td>{f.schema.description ?? f.ui.help ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p className="muted">
        Every node also has an <code>error</code> output: wire it to dead-letter failed messages.
      </p>
    </div>
  );
}
