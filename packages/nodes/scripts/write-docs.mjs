// Regenerates docs/nodes.md from the node manifests (run after building @tributary/nodes).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { nodesMarkdown } from '../dist/docs.js';
import { connectionTypes, nodeManifests } from '../dist/manifests.js';

const target = fileURLToPath(new URL('../../../docs/nodes.md', import.meta.url));
writeFileSync(target, nodesMarkdown(nodeManifests, connectionTypes));
console.log(`wrote ${target}`);
