#!/usr/bin/env node
// Installed `station` command: runs the built CLI (npm run build makes out/main/cli.js).
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const cli = join(__dirname, '..', 'out', 'main', 'cli.js');
if (!existsSync(cli)) {
  console.error('The station CLI is not built yet: run `npm run build` (or use `npm run station -- …`).');
  process.exit(1);
}
require(cli);
