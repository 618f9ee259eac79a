#!/usr/bin/env -S node --max-semi-space-size=64
import { catchStopSignals } from './cli/stop-signals.js';

const USAGE = `Tributary: flow-based streaming runtime

Usage: tributary <command> [options]

Commands:
  run <flow.json>        run a flow headless, with live per-node stats
  validate <flow.json>   check flow files; every problem with its JSON path
  serve                  serve the API, live stats and the editor (see tributary serve --help)

Run "tributary <command> --help" for a command's options.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  // The commands are loaded only now (seconds on a busy machine): a stop signal meanwhile is kept
  // for the long-running ones (cli/stop-signals.ts).
  switch (command) {
    case 'run': {
      catchStopSignals();
      const { runCommand } = await import('./cli/run-command.js');
      return runCommand(rest);
    }
    case 'validate': {
      const { validateCommand } = await import('./cli/validate-command.js');
      return validateCommand(rest);
    }
    case 'serve': {
      catchStopSignals();
      const { serveCommand } = await import('./serve.js');
      return serveCommand(rest);
    }
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      console.error(`unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    // Exit now that the command is done: a client library may keep a socket open (kafkajs does
    // after a broker restart), and a finished run must not hang on it. stdout and stderr are
    // synchronous for files, pipes and terminals here, so nothing printed is lost.
    process.exit(code);
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);
