#!/usr/bin/env node
// The `zerograd` command: loads the compiled CLI (built by `npm install` through `prepare`).
import { main } from '../dist/src/cli/main.js';

main(process.argv).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(`zerograd: ${err instanceof Error ? err.message : String(err)}`); process.exitCode = 1; },
);
