import { z } from 'zod';
import { defineManifest } from '@tributary/shared';

export const counterManifest = defineManifest({
  type: 'counter',
  typeVersion: 1,
  kind: 'sink',
  label: 'Counter',
  description: 'Counts messages and discards them (benchmarks, tests, a sink for branches you only want to measure)',
  category: 'testing',
  inputs: [{ name: 'in' }],
  outputs: [],
  docs: 'Reports the number of messages received as the `count` statistic. It has no settings.',
  config: z.strictObject({}).describe('The counter has no settings'),
});
