import { describe, expect, it } from 'vitest';
import { toConnectionTypeInfo, toNodeTypeInfo } from '@tributary/shared';
import { connectionTypes, nodeManifests } from '@tributary/nodes/manifests';
import { useCatalog } from './catalog.js';
import { addConnection, connectionFields, connectionUsers, removeConnection, renameConnection } from './connections.js';
import { currentDocument } from './doc-store.js';
import { useDoc } from './session.js';

useCatalog.getState().set(nodeManifests.map(toNodeTypeInfo), connectionTypes.map(toConnectionTypeInfo));

function flowWithKafkaSource() {
  useDoc.getState().load(
    {
      schemaVersion: 1,
      id: 'f',
      name: 'F',
      connections: [{ id: 'kafka-1', type: 'kafka', config: { brokers: ['127.0.0.1:9092'] } }],
      nodes: [
        {
          id: 'in',
          type: 'kafka-source',
          typeVersion: 1,
          position: { x: 0, y: 0 },
          config: { connection: 'kafka-1', topics: ['orders'], groupId: 'g' },
        },
        { id: 'n', type: 'counter', typeVersion: 1, position: { x: 300, y: 0 }, config: {} },
      ],
      edges: [],
    },
    'r1',
  );
}

describe('connections', () => {
  it('knows which node fields name a connection, and which nodes use one', () => {
    expect([...connectionFields(useCatalog.getState().byType.get('kafka-source'))]).toEqual([['connection', 'kafka']]);
    flowWithKafkaSource();
    const { nodes } = useDoc.getState();
    expect(connectionUsers('kafka-1', nodes, useCatalog.getState().byType).map((n) => n.id)).toEqual(['in']);
    expect(connectionUsers('other', nodes, useCatalog.getState().byType)).toEqual([]);
  });

  it('adds one with fresh id and its type defaults', () => {
    flowWithKafkaSource();
    expect(addConnection('kafka')).toBe('kafka-2');
    const added = currentDocument(useDoc.getState()).connections?.[1];
    expect(added).toMatchObject({ id: 'kafka-2', type: 'kafka', config: { clientId: 'tributary' } });
  });

  it('renames one with the nodes that use it, as one undo step', () => {
    flowWithKafkaSource();
    expect(renameConnection('kafka-1', 'not valid!')).toMatch(/ids use/);
    expect(renameConnection('kafka-1', 'local-kafka')).toBeUndefined();
    let doc = currentDocument(useDoc.getState());
    expect(doc.connections?.map((c) => c.id)).toEqual(['local-kafka']);
    expect(doc.nodes[0]?.config.connection).toBe('local-kafka');
    useDoc.getState().undo();
    doc = currentDocument(useDoc.getState());
    expect(doc.connections?.map((c) => c.id)).toEqual(['kafka-1']);
    expect(doc.nodes[0]?.config.connection).toBe('kafka-1');
  });

  it('removing the last one leaves no empty list in the document', () => {
    flowWithKafkaSource();
    removeConnection('kafka-1');
    expect('connections' in currentDocument(useDoc.getState())).toBe(false);
  });
});
