/**
 * Keeps a fetch that was under way from undoing a seek or a rejoin, for the `@platformatic/kafka`
 * adapter. The client's stream sets a partition's next fetch position from every fetch answer, so
 * the answer to a fetch sent before a seek would hand on records from the old position and move
 * the position back past the seek (the seek is lost). The client announces every fetch on the
 * diagnostics channel `plt:kafka:consumer:fetches` — the request at `start`, the answer at
 * `asyncStart`, before the stream reads it — so the guard removes from such an answer the
 * partitions whose request predates a seek (or every partition, after a rejoin): the stream then
 * neither hands those records on nor moves their position, and fetches them again from the seek.
 */
import { tracingChannel, type TracingChannelSubscribers } from 'node:diagnostics_channel';

/** What the client passes on the channel (only the fields the guard reads). */
interface FetchContext {
  readonly client?: unknown;
  readonly options?: {
    readonly topics?: readonly {
      readonly topicId: string;
      readonly partitions: readonly { readonly partition: number; readonly fetchOffset: bigint }[];
    }[];
  };
  readonly result?: {
    readonly responses?: readonly {
      readonly topicId: string;
      readonly partitions: { readonly partitionIndex: number; records?: unknown }[];
    }[];
  };
}

/** The offset a request asked for (the client sends one entry per partition, topics repeating). */
function askedOffset(options: FetchContext['options'], topicId: string, partition: number): bigint | undefined {
  for (const topic of options?.topics ?? []) {
    if (topic.topicId !== topicId) continue;
    for (const p of topic.partitions) if (p.partition === partition) return p.fetchOffset;
  }
  return undefined;
}

const fetches = tracingChannel<unknown, object>('plt:kafka:consumer:fetches');

export class FetchGuard {
  /** Bumped by a rejoin: answers to requests sent before it are dropped whole. */
  private generation = 0;
  private readonly sentIn = new WeakMap<object, number>();
  /** Seeks not yet confirmed by a fetch that asked for their offset, by `topic:partition`. */
  private readonly seeks = new Map<string, bigint>();
  private readonly topicNames = new Map<string, string>();
  private readonly subscribers: TracingChannelSubscribers<object>;
  /** Partitions dropped from answers so far (for tests and debugging). */
  dropped = 0;

  /**
   * `reposition` is called for a partition whose answer was dropped because its request did not ask
   * for the sought offset: whatever moved the position (that fetch, or the stream's own refresh of
   * the group's commits) is undone, so the next fetch asks for the seek's offset.
   */
  constructor(
    private readonly client: unknown,
    private readonly reposition: (key: string, offset: bigint) => void,
  ) {
    const ignore = () => undefined;
    this.subscribers = {
      start: (context) => {
        if ((context as FetchContext).client === this.client) this.sentIn.set(context, this.generation);
      },
      asyncStart: (context) => {
        if ((context as FetchContext).client === this.client) this.screen(context);
      },
      end: ignore,
      asyncEnd: ignore,
      error: ignore,
    };
    fetches.subscribe(this.subscribers);
  }

  /** Topic ids, as the client's metadata gives them: fetch requests and answers name topics by id. */
  learnTopics(topics: ReadonlyMap<string, { readonly id: string }>): void {
    for (const [name, { id }] of topics) this.topicNames.set(id, name);
  }

  /** Whatever a fetch sent before now answers is dropped for this partition, unless it asked for `offset`. */
  seek(key: string, offset: bigint): void {
    this.seeks.set(key, offset);
  }

  /** Whatever a fetch sent before now answers is dropped (a rejoin: positions restart from the commits). */
  rejoin(): void {
    this.generation++;
    this.seeks.clear();
  }

  close(): void {
    fetches.unsubscribe(this.subscribers);
  }

  private screen(context: object): void {
    const { options, result } = context as FetchContext;
    const stale = this.sentIn.get(context) !== this.generation;
    for (const topic of result?.responses ?? []) {
      const name = this.topicNames.get(topic.topicId);
      for (const partition of topic.partitions) {
        const key = `${name}:${partition.partitionIndex}`;
        const target = name === undefined ? undefined : this.seeks.get(key);
        let drop = stale;
        if (!stale && target !== undefined) {
          const asked = askedOffset(options, topic.topicId, partition.partitionIndex);
          if (asked === target) this.seeks.delete(key);
          else {
            drop = true;
            this.reposition(key, target);
          }
        }
        if (drop && partition.records !== undefined && partition.records !== null) {
          partition.records = undefined;
          this.dropped++;
        }
      }
    }
  }
}
