import { create } from 'zustand';

/** Where the editor keeps the runtime's token (typed by the user; never in the bundle). */
export const TOKEN_KEY = 'tributary.token';

export interface AuthState {
  /** The runtime answered 401: the sign-in prompt shows until a token it accepts is given. */
  required: boolean;
  /** Bumped when a new token was accepted: the live socket reconnects with it. */
  epoch: number;
}

export const useAuth = create<AuthState>()(() => ({ required: false, epoch: 0 }));

export function storedToken(): string | undefined {
  return localStorage.getItem(TOKEN_KEY) ?? undefined;
}

/** Called on a 401 from the API or a refused socket: ask for the token instead of failing panels. */
export function requireSignIn(): void {
  if (!useAuth.getState().required) useAuth.setState({ required: true });
}

export function saveToken(token: string): void {
  localStorage.setItem(TOKEN_KEY, token);
}

export function signedIn(): void {
  useAuth.setState((s) => ({ required: false, epoch: s.epoch + 1 }));
}
