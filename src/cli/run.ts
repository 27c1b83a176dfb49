// Runs the CLI from TypeScript sources (`node --import tsx src/cli/run.ts ...`), without a build.
import { main } from './main.js';

main(process.argv).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`zerograd: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
