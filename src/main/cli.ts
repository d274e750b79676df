// `station` command line: scripted fit / eval / predict / bench over the same core services.
const USAGE = `Usage: station <command> [options]
Commands are added as the methods land; run \`station help\` to list what this build has.`;

function main(argv: string[]): number {
  const [command] = argv;
  if (!command || command === 'help' || command === '--help') {
    console.log(USAGE);
    return 0;
  }
  console.error(`Unknown command "${command}".\n${USAGE}`);
  return 2;
}

process.exitCode = main(process.argv.slice(2));
