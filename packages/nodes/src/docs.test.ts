import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nodesMarkdown } from './docs.js';
import { connectionTypes, nodeManifests } from './manifests.js';

describe('docs/nodes.md', () => {
  it('is up to date with the manifests (regenerate with `pnpm --filter @tributary/nodes run docs`)', () => {
    const committed = readFileSync(new URL('../../../docs/nodes.md', import.meta.url), 'utf8');
    expect(committed, 'docs/nodes.md is stale: run `pnpm --filter @tributary/nodes run docs`').toBe(
      nodesMarkdown(nodeManifests, connectionTypes),
    );
  });

  it('documents every node type and its settings', () => {
    const text = nodesMarkdown(nodeManifests, connectionTypes);
    for (const manifest of nodeManifests) expect(text).toContain(`(\`${manifest.type}\`)`);
    expect(text).toContain('| `code` |');
  });
});
