#!/usr/bin/env node
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(
    'upgrade-harness is not built: run `npm ci` (or `npm run build`) in its folder first\n',
  );
  process.exit(2);
}
const { main } = await import(entry.href);
const code = await main(process.argv.slice(2));
// Exit once output is flushed, even if a library left a handle open.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
