/**
 * WebSocket connections of a flow's sources, by session id, so that a `websocket-sink` in reply
 * mode can answer on the connection a message came from (`meta.session`). Nodes of one flow run
 * in the same thread, so a module-level map is their meeting point; ids are random UUIDs, so flows
 * sharing a thread (tests) cannot answer each other's sessions by accident.
 */
export interface ReplyTarget {
  send(data: string | Uint8Array): void;
}

const sessions = new Map<string, ReplyTarget>();

export const wsSessions = {
  add(id: string, target: ReplyTarget): void {
    sessions.set(id, target);
  },
  delete(id: string): void {
    sessions.delete(id);
  },
  get(id: string): ReplyTarget | undefined {
    return sessions.get(id);
  },
};
