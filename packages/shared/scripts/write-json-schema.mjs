// Regenerates flow.schema.json from the zod schema (run after `pnpm --filter @tributary/shared build`).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { flowJsonSchemaText } from '../dist/index.js';

const target = fileURLToPath(new URL('../flow.schema.json', import.meta.url));
writeFileSync(target, flowJsonSchemaText());
console.log(`wrote ${target}`);
