import { parseArgs } from 'node:util';
import { createNodeRegistry } from '@tributary/nodes/runtime';
import { loadFlowFile } from './load-flow.js';

const USAGE = `Usage: tributary validate <flow.json> [more.json …] [--json]

Checks flow files the way the runtime will run them. Prints every problem with its JSON path;
exits 1 when any file has a problem.`;

export async function validateCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help || positionals.length === 0) {
    console.log(USAGE);
    return positionals.length === 0 && !values.help ? 2 : 0;
  }
  const registry = createNodeRegistry();
  let failed = 0;
  for (const file of positionals) {
    const result = await loadFlowFile(file, registry);
    if (values.json) {
      console.log(JSON.stringify({ file, ok: result.ok, problems: result.ok ? [] : result.problems }));
    } else if (result.ok) {
      console.log(`✔ ${file}: ok (${result.flow.nodes.length} nodes, ${result.flow.edges.length} edges)`);
    } else {
      console.log(`✖ ${file}: ${result.problems.length} problem${result.problems.length === 1 ? '' : 's'}`);
      for (const p of result.problems) console.log(`  ${p.path || '/'}  ${p.message}  [${p.code}]`);
    }
    if (!result.ok) failed++;
  }
  return failed > 0 ? 1 : 0;
}
