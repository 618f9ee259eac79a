/**
 * One `ctx.endpoints.eventStream` registration: a `text/event-stream` served to every client, with
 * increasing ids, a bounded replay ring for clients that reconnect with Last-Event-ID, `retry:` on
 * connect and a comment ping. A client whose socket takes less than we write is dropped (and
 * counted) once its unsent bytes pass the limit: one slow reader never grows our memory.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EventStreamOptions, StreamEvent } from '@tributary/shared';

interface Frame {
  id: number;
  bytes: Buffer;
}

export interface EventStreamFigures {
  clients: number;
  droppedClients: number;
  published: number;
}

export class EventStreamRoute {
  private readonly ring: Frame[] = [];
  private ringStart = 0;
  private readonly clients = new Set<ServerResponse>();
  /**
   * Ids start at the clock in µs: a restarted runtime keeps numbering above what clients saw
   * before (as long as fewer than a million events a second were sent on average), so a client's
   * Last-Event-ID from before the restart is never mistaken for a newer event.
   */
  private nextId = Date.now() * 1000;
  private readonly ping: NodeJS.Timeout;
  private readonly replay: number;
  private readonly retryMs: number;
  private readonly maxClientBufferBytes: number;
  readonly figures: EventStreamFigures = { clients: 0, droppedClients: 0, published: 0 };

  constructor(
    readonly path: string,
    options: EventStreamOptions = {},
    private readonly onFigures: (figures: EventStreamFigures) => void = () => undefined,
  ) {
    this.replay = Math.max(0, options.replay ?? 1000);
    this.retryMs = options.retryMs ?? 2000;
    this.maxClientBufferBytes = options.maxClientBufferBytes ?? 1024 * 1024;
    this.ping = setInterval(() => this.broadcast(Buffer.from(': ping\n\n')), options.pingMs ?? 15_000);
    this.ping.unref();
  }

  serve(req: IncomingMessage, res: ServerResponse, query: Record<string, string>): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write(`retry: ${this.retryMs}\n\n`);
    const lastHeader = req.headers['last-event-id'] ?? query.lastEventId;
    const last = lastHeader === undefined ? NaN : Number(lastHeader);
    if (Number.isFinite(last)) {
      const missed = this.since(last);
      if (missed.length > 0) res.write(Buffer.concat(missed.map((f) => f.bytes)));
    }
    req.socket.setNoDelay(true);
    this.clients.add(res);
    this.figures.clients = this.clients.size;
    this.onFigures(this.figures);
    const gone = () => {
      if (this.clients.delete(res)) {
        this.figures.clients = this.clients.size;
        this.onFigures(this.figures);
      }
    };
    res.on('close', gone);
  }

  publish(events: readonly StreamEvent[]): void {
    if (events.length === 0) return;
    const frames: Buffer[] = [];
    for (const event of events) {
      const id = this.nextId++;
      let text = `id: ${id}\n`;
      if (event.event !== undefined && event.event !== '' && event.event !== 'message') {
        text += `event: ${event.event.replace(/[\r\n]/g, ' ')}\n`;
      }
      for (const line of event.data.split(/\r\n|\r|\n/)) text += `data: ${line}\n`;
      const frame = { id, bytes: Buffer.from(text + '\n') };
      frames.push(frame.bytes);
      this.remember(frame);
    }
    this.figures.published += events.length;
    this.broadcast(frames.length === 1 ? frames[0]! : Buffer.concat(frames));
  }

  close(): void {
    clearInterval(this.ping);
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  private remember(frame: Frame): void {
    if (this.replay === 0) return;
    this.ring.push(frame);
    if (this.ring.length - this.ringStart > this.replay) this.ringStart++;
    if (this.ringStart > 4096 && this.ringStart * 2 > this.ring.length) {
      this.ring.splice(0, this.ringStart);
      this.ringStart = 0;
    }
  }

  /** Frames after `id`: all the ring holds when `id` is older than it (or from before a restart). */
  private since(id: number): Frame[] {
    const frames: Frame[] = [];
    for (let i = this.ring.length - 1; i >= this.ringStart; i--) {
      const frame = this.ring[i]!;
      if (frame.id <= id) break;
      frames.push(frame);
    }
    return frames.reverse();
  }

  private broadcast(bytes: Buffer): void {
    for (const res of this.clients) {
      // Bytes the socket has not taken yet: a reader that stopped reading shows here first.
      if (res.writableLength + bytes.length > this.maxClientBufferBytes) {
        this.clients.delete(res);
        this.figures.droppedClients++;
        this.figures.clients = this.clients.size;
        res.destroy();
        this.onFigures(this.figures);
        continue;
      }
      res.write(bytes);
    }
  }
}
