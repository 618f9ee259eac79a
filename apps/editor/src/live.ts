import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents, SocketAck } from '@tributary/shared';
import { authToken } from './api.js';
import { publishSnapshot } from './dashboard-feed.js';
import { debugPayload, useDebug } from './debug-store.js';
import { useLogs } from './log-store.js';
import { requireSignIn, useAuth } from './auth.js';
import { followRunState } from './session.js';
import { useStats } from './stats-store.js';
import { useTap } from './tap-store.js';

type LiveSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

let current: LiveSocket | undefined;

/**
 * One socket for the page; it follows the flow being edited (`flow:subscribe`, and again after a
 * reconnect). Stats go into the stats store (and the dashboard's feed), logs and errors into the
 * log store, tap samples into the tap store.
 */
export function connectLive(): () => void {
  const token = authToken();
  const socket: LiveSocket = io({ path: '/socket.io', ...(token ? { auth: { token } } : {}) });
  current = socket;
  let subscribed: string | undefined;

  const follow = (flowId: string | undefined) => {
    if (subscribed && subscribed !== flowId && socket.connected)
      socket.emit('flow:unsubscribe', { flowId: subscribed });
    if (subscribed !== flowId) {
      useLogs.getState().reset(flowId);
      useDebug.getState().reset(flowId);
    }
    subscribed = flowId;
    if (flowId && socket.connected) socket.emit('flow:subscribe', { flowId }, () => undefined);
  };

  socket.on('connect', () => {
    useStats.getState().setConnected(true);
    follow(useStats.getState().flowId);
    // The server forgets a socket's taps when it disconnects: ask again.
    const tap = useTap.getState();
    if (tap.flowId && tap.edgeId && (tap.status === 'on' || tap.status === 'starting'))
      void startTap(tap.flowId, tap.edgeId);
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
  socket.on('flow:stats', (snapshot) => {
    useStats.getState().apply(snapshot);
    publishSnapshot(snapshot);
  });
  socket.on('flow:status', (status) => {
    if (status.flowId === useStats.getState().flowId) {
      const previous = useStats.getState().state;
      useStats.getState().setStatus(status.state, status.reason, status.nodeId);
      followRunState(status.state, status.reason, previous);
    }
    useLogs.getState().addStatus(status);
  });
  // Lines of debug nodes carry a message for the debug panel, not text for the log.
  socket.on('flow:log', (entry) =>
    debugPayload(entry) ? useDebug.getState().add(entry) : useLogs.getState().addLog(entry),
  );
  socket.on('node:error', (event) => useLogs.getState().addError(event));
  socket.on('edge:tap', (event) => useTap.getState().receive(event));
  const unsubscribe = useStats.subscribe((s, prev) => {
    if (s.flowId !== prev.flowId || s.epoch !== prev.epoch) follow(s.flowId);
  });
  return () => {
    unsubscribe();
    unsubscribeAuth();
    socket.disconnect();
    if (current === socket) current = undefined;
  };
}

const TAP_ACK_MS = 5000;

/** Starts sampling an edge (`tap:start`); the answer's error, if any, goes into the tap store. */
export async function startTap(flowId: string, edgeId: string): Promise<SocketAck> {
  useTap.getState().starting(flowId, edgeId);
  let ack: SocketAck;
  if (!current?.connected) {
    ack = { ok: false, error: { code: 'E_OFFLINE', message: 'no live connection to the runtime' } };
  } else {
    try {
      // socket.io's types lose the ack's type once `timeout()` is added.
      ack = (await current.timeout(TAP_ACK_MS).emitWithAck('tap:start', { flowId, edgeId })) as SocketAck;
    } catch {
      ack = { ok: false, error: { code: 'E_TIMEOUT', message: 'the runtime did not answer' } };
    }
  }
  const tap = useTap.getState();
  // Stopped (or moved to another edge) while waiting for the answer: that tap is not wanted any more.
  if (tap.flowId !== flowId || tap.edgeId !== edgeId || tap.status === 'off') {
    if (ack.ok) current?.emit('tap:stop', { flowId, edgeId });
    return ack;
  }
  if (ack.ok) tap.started();
  else tap.failed(`${ack.error.code}: ${ack.error.message}`);
  return ack;
}

export function stopTap(): void {
  const { flowId, edgeId, status } = useTap.getState();
  if (flowId && edgeId && status !== 'off' && status !== 'error' && current?.connected)
    current.emit('tap:stop', { flowId, edgeId });
  useTap.getState().stopped();
}
