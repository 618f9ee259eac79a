import type { ChildProcess } from 'node:child_process';
import type { MessagePort, Worker } from 'node:worker_threads';

/**
 * One message-based link between the server and a flow's isolated host, whatever carries it: a
 * worker thread's port, or a child process's IPC channel (forked with `serialization: 'advanced'`,
 * so Buffers, Maps, Dates and typed arrays cross it as they cross a worker's postMessage). Protocols
 * above it (host/worker-protocol.ts, endpoint bridges) only ever call `send` and `onMessage`.
 */
export interface Channel<Out, In> {
  /** Sends one message; a message sent after the other side is gone is dropped (its exit says why). */
  send(message: Out): void;
  /** Calls `handler` for every message that arrives; returns a function that stops listening. */
  onMessage(handler: (message: In) => void): () => void;
}

/** The channel over a worker (seen from its parent) or a port (`parentPort`, seen from the worker). */
export function portChannel<Out, In>(port: Worker | MessagePort): Channel<Out, In> {
  return {
    send(message) {
      try {
        port.postMessage(message);
      } catch {
        // The port is closing; its owner's exit settles what was pending.
      }
    },
    onMessage(handler) {
      const listener = (message: In) => handler(message);
      port.on('message', listener);
      return () => port.off('message', listener);
    },
  };
}

/** Either end of a child process's IPC channel: the ChildProcess object, or `process` inside the child. */
export type IpcEnd = Pick<ChildProcess, 'send' | 'on' | 'off' | 'connected'> | NodeJS.Process;

/** The channel over a forked child's IPC (from the parent: the ChildProcess; in the child: `process`). */
export function processChannel<Out, In>(end: IpcEnd): Channel<Out, In> {
  return {
    send(message) {
      if (!end.connected || end.send === undefined) return;
      try {
        end.send(message as never, undefined, {}, () => undefined);
      } catch {
        // The channel closed between the check and the send: the exit event reports why.
      }
    },
    onMessage(handler) {
      const listener = (message: unknown) => handler(message as In);
      end.on('message', listener);
      return () => end.off('message', listener);
    },
  };
}
