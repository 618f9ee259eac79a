import { useState, type FormEvent } from 'react';
import { ApiFailure, api } from '../api.js';
import { saveToken, signedIn, useAuth } from '../auth.js';
import { loadCatalog } from '../catalog.js';
import { refreshFlows } from '../session.js';
import '../settings.css';

/**
 * The runtime was started with a token and refused ours (or we had none): ask for it, check it
 * against the API, then load what failed and reconnect the live socket with it.
 */
export function TokenPrompt() {
  const required = useAuth((s) => s.required);
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [checking, setChecking] = useState(false);
  if (!required) return null;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const value = token.trim();
    if (!value) return;
    setChecking(true);
    setError(undefined);
    saveToken(value);
    try {
      await api.flows();
      setToken('');
      signedIn();
      void loadCatalog();
      void refreshFlows();
    } catch (failure) {
      setError(
        failure instanceof ApiFailure && failure.status === 401
          ? 'The runtime refused this token.'
          : `Cannot check the token: ${(failure as Error).message}`,
      );
    } finally {
      setChecking(false);
    }
  };

  return (
    <div className="modal" role="dialog" aria-modal="true" aria-labelledby="token-title" data-testid="token-prompt">
      <form className="modal-body sign-in" onSubmit={(e) => void submit(e)}>
        <h2 id="token-title">Sign in to this runtime</h2>
        <p className="muted">
          It was started with a token (<code>--token</code> or <code>TRIBUTARY_TOKEN</code>). Enter it to use the
          editor; it is kept in this browser only.
        </p>
        <div className="field">
          <label htmlFor="runtime-token">Token</label>
          <input
            id="runtime-token"
            type="password"
            autoComplete="current-password"
            autoFocus
            value={token}
            onChange={(e) => setToken(e.target.value)}
          />
        </div>
        {error && (
          <div className="problem" role="alert">
            {error}
          </div>
        )}
        <div className="actions">
          <button type="submit" className="primary" disabled={checking || !token.trim()}>
            {checking ? 'Checking…' : 'Sign in'}
          </button>
        </div>
      </form>
    </div>
  );
}
