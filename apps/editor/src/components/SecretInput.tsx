import { useEffect, useState } from 'react';
import { parseSecretReference, SECRET_NAME_PATTERN } from '@tributary/shared';
import { api } from '../api.js';
import { notify } from '../session.js';

interface Props {
  id: string;
  value: unknown;
  onChange: (value: string | undefined) => void;
  /** Suggested credential name (made valid here). */
  suggestedName: string;
}

/** A credential name from a suggestion: letters, digits, `_ . -`, not starting with a digit. */
export function credentialName(suggestion: string): string {
  const name = suggestion.replace(/[^A-Za-z0-9_.-]/g, '-').replace(/^[^A-Za-z_]+/, '');
  return name || 'secret';
}

/**
 * A secret field. The flow only ever receives a reference: `${env:NAME}` typed as is, or
 * `${cred:NAME}` after the value typed here was stored in the runtime's credential store. The
 * value itself stays in this component until it is stored, and is then forgotten.
 */
export function SecretInput({ id, value, onChange, suggestedName }: Props) {
  const reference = typeof value === 'string' ? parseSecretReference(value) : null;
  const [editing, setEditing] = useState(reference === null);
  const [draft, setDraft] = useState('');
  const [name, setName] = useState(() => credentialName(suggestedName));
  const [stored, setStored] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!editing) return;
    let live = true;
    api
      .credentials()
      .then((r) => live && setStored(r.names))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [editing]);

  if (reference && !editing)
    return (
      <div className="secret-ref" data-testid={`secret-${id}`}>
        <code>{value as string}</code>
        <span className="muted">{reference.kind === 'cred' ? 'stored in the runtime' : 'environment variable'}</span>
        <button type="button" onClick={() => setEditing(true)}>
          Change
        </button>
      </div>
    );

  const typed = parseSecretReference(draft.trim());
  const validName = SECRET_NAME_PATTERN.test(name);
  // An imported flow may hold a secret in clear (validation reports it): offer to move it.
  const inClear = typeof value === 'string' && value !== '' && !reference ? value : undefined;
  const secret = draft !== '' ? draft : inClear;
  const store = async () => {
    if (secret === undefined) return;
    setBusy(true);
    try {
      await api.setCredential(name, secret);
      setDraft('');
      setEditing(false);
      onChange(`\${cred:${name}}`);
      notify('ok', `Stored the value as credential "${name}" in the runtime; the flow refers to it.`);
    } catch (e) {
      notify('error', `Credential not stored: ${(e as Error).message}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="secret-edit" data-testid={`secret-${id}`}>
      <input
        id={id}
        type={draft.startsWith('${') ? 'text' : 'password'}
        autoComplete="off"
        placeholder="the secret, or ${env:NAME}"
        value={draft}
        onChange={(e) => {
          setDraft(e.target.value);
          // A reference can go into the flow as it is.
          const ref = parseSecretReference(e.target.value.trim());
          if (ref) {
            onChange(e.target.value.trim());
            setDraft('');
            setEditing(false);
          }
        }}
      />
      {secret !== undefined && !typed && (
        <div className="secret-store">
          <span className="muted">
            {draft === ''
              ? 'This secret is written in the flow in clear. Move it to'
              : 'Kept by the runtime, not in the flow, as'}{' '}
            credential
          </span>
          <input
            aria-label="Credential name"
            className={validName ? undefined : 'invalid'}
            list={`${id}-names`}
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
          <datalist id={`${id}-names`}>
            {stored.map((n) => (
              <option key={n} value={n} />
            ))}
          </datalist>
          <button type="button" className="primary" disabled={!validName || busy} onClick={() => void store()}>
            Store as credential
          </button>
          {stored.includes(name) && <span className="warn">replaces the value stored under this name</span>}
        </div>
      )}
      {draft === '' && stored.length > 0 && (
        <select
          aria-label="Use a stored credential"
          value=""
          onChange={(e) => {
            if (!e.target.value) return;
            onChange(`\${cred:${e.target.value}}`);
            setEditing(false);
          }}
        >
          <option value="">or use a stored credential…</option>
          {stored.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
      )}
      {reference && (
        <button type="button" className="link" onClick={() => setEditing(false)}>
          Keep {value as string}
        </button>
      )}
      {value !== undefined && (
        <button type="button" className="link" onClick={() => onChange(undefined)}>
          Clear
        </button>
      )}
    </div>
  );
}
