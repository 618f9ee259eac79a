import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '@tributary/shared';
import { authToken } from './api.js';
import { requireSignIn, useAuth } from './auth.js';
import { useStats } from './stats-store.js';

type LiveSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/**
 * One socket for the page; it follows the flow being edited (`flow:subscribe`, and again after a
 * reconnect). Stats go into the stats store only.
 */
export function connectLive(): () => void {
  const token = authToken();
  const socket: LiveSocket = io({ path: '/socket.io', ...(token ? { auth: { token } } : {}) });
  let subscribed: string | undefined;

  const follow = (flowId: string | undefined) => {
    if (subscribed && subscribed !== flowId && socket.connected)
      socket.emit('flow:unsubscribe', { flowId: subscribed });
    subscribed = flowId;
    if (flowId && socket.connected) socket.emit('flow:subscribe', { flowId }, () => undefined);
  };

  socket.on('connect', () => {
    useStats.getState().setConnected(true);
    follow(useStats.getState().flowId);
  });
  socket.on('disconnect', () => useStats.getState().setConnected(false));
  // A runtime with a token refuses the handshake: ask for it; a new token reconnects.
  socket.on('connect_error', (error) => {
    if (error.message.startsWith('E_UNAUTHORIZED')) requireSignIn();
  });
  const unsubscribeAuth = useAuth.subscribe((s, prev) => {
    if (s.epoch === prev.epoch) return;
    const next = authToken();
    socket.auth = next ? { token: next } : {};
    socket.disconnect().connect();
  });
  socket.on('flow:stats', (snapshot) => useStats.getState().apply(snapshot));
  socket.on('flow:status', (status) => {
    if (status.flowId === useStats.getState().flowId) useStats.getState().setStatus(status.state, status.reason);
  });
  const unsubscribe = useStats.subscribe((s, prev) => {
    if (s.flowId !== prev.flowId || s.epoch !== prev.epoch) follow(s.flowId);
  });
  return () => {
    unsubscribe();
    unsubscribeAuth();
    socket.disconnect();
  };
}
