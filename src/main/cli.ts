// `station` command line (`npm run station -- <command>`): scripted access to the same core
// services the desktop and headless station use. Each command lives in src/main/cli/.
import { COMMANDS, usage } from './cli/commands';
import { CliUsageError } from './cli/args';

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    console.log(usage());
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    console.error(`Unknown command "${name}".\n\n${usage()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(`${command.usage}\n\n${command.summary}`);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof CliUsageError) {
      console.error(`${err.message}\n\n${command.usage}`);
      return 2;
    }
    console.error(`station ${name}: ${err instanceof Error ? err.message : String(err)}`);
    if (process.env.STATION_DEBUG) console.error(err);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
