// A fuzz worker thread's entry (scripts/fuzz.ts): tsx's loader is per thread, so register it before the TypeScript worker.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
