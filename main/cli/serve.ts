import { runServe } from './serve-command';

runServe(process.argv.slice(2)).catch((error: unknown) => {
  console.error(`VirtDeck serve: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
