/**
 * The two node types `runNode` puts around the node under test: an input source that emits the
 * test's batches, and a recording sink per output port. Plain nodes of the engine, so every hop
 * between them and the node under test is the engine's own.
 */
import { z } from 'zod';
import { defineManifest, defineNode, type FlowMessage, type NodeDefinition } from '@tributary/shared';

export interface HarnessHooks {
  /** The batches the input source emits, in order. */
  readonly inputs: readonly FlowMessage[][];
  /** Sinks give up what they received with ok: false (runNode's `ack: 'fail'`). */
  readonly failAcks: boolean;
  record(port: string, batch: readonly FlowMessage[]): void;
  /** Input batch `index` was confirmed (ok) or failed (not ok: its source would read it again). */
  inputAck(index: number, ok: boolean): void;
}

const inputManifest = defineManifest({
  type: 'runnode:input',
  typeVersion: 1,
  kind: 'source',
  label: 'runNode input',
  description: 'Emits the test’s input batches, waiting whenever a queue is full',
  category: 'testing',
  inputs: [],
  outputs: [{ name: 'out' }],
  config: z.object({}),
});

const recordManifest = defineManifest({
  type: 'runnode:record',
  typeVersion: 1,
  kind: 'sink',
  label: 'runNode recorder',
  description: 'Records what reaches one port of the node under test',
  category: 'testing',
  inputs: [{ name: 'in' }],
  outputs: [],
  config: z.object({ port: z.string() }),
});

/** A registry of the node under test plus the harness nodes wired to `hooks`. */
export function harnessRegistry(underTest: NodeDefinition, hooks: HarnessHooks): ReadonlyMap<string, NodeDefinition> {
  const input = defineNode(inputManifest, () => ({
    kind: 'source',
    async run(ctx) {
      for (const [index, batch] of hooks.inputs.entries()) {
        if (ctx.signal.aborted) return;
        const wait = ctx.emit(batch, (ok) => hooks.inputAck(index, ok));
        if (wait !== undefined) await wait;
      }
    },
  }));
  const record = defineNode(recordManifest, (config, ctx) => {
    const port = config.port;
    return {
      kind: 'processor',
      process(batch, out) {
        hooks.record(port, batch);
        if (hooks.failAcks) ctx.release([out.hold()], false);
      },
    };
  });
  return new Map<string, NodeDefinition>([
    [underTest.manifest.type, underTest],
    [inputManifest.type, input],
    [recordManifest.type, record],
  ]);
}
