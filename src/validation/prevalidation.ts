// Validation ahead of the write on a second core: outcomes of the resources a writer will write next, computed on a worker thread. https://hl7.org/fhir/R4/validation.html
import { Worker } from 'node:worker_threads';
import type { OperationOutcome } from '@medplum/fhirtypes';

/**
 * An import spends about a quarter of its CPU validating, and the write path cannot start the next resource before the
 * store has checked this one. The resources of the next batch are known while this batch is written, so a worker
 * validates them meanwhile, with the same validator. The store still asks for every resource it writes:
 * `take` answers only for the exact JSON the worker validated (anything the writer changed since is validated
 * again by the caller), so an outcome can never belong to other content.
 */
export interface Prevalidation {
  /** Starts validating these resources (JSON texts); resolves once their outcomes are in (never rejects). */
  prepare(resources: string[]): Promise<void>;
  /** The worker's outcome for exactly this resource's JSON text, handed out once; undefined when there is none. */
  take(resource: unknown): OperationOutcome | undefined;
  close(): Promise<void>;
}

/** The thread's bootstrap, plain JavaScript: it loads the worker module, through tsx's API when running from source. */
const ThreadSource = `
const { workerData } = require('node:worker_threads');
(workerData.tsx
  ? import(workerData.tsx).then(({ tsImport }) => tsImport(workerData.entry, workerData.entry))
  : import(workerData.entry)
).catch((err) => { setImmediate(() => { throw err; }); });
`;

/** Outcomes kept for this many prepared batches (the one being written and the next); older ones were never asked for. */
const KeptGenerations = 2;

export function startPrevalidation(onError: (message: string) => void = () => undefined): Prevalidation {
  // The built server runs .js files; under tsx the worker is started from the .ts source with the same loader.
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  let worker: Worker | undefined;
  let failed = false;
  const waiting = new Map<number, (outcomes: OperationOutcome[] | undefined) => void>();
  let nextId = 1;
  /** From now on nothing is validated ahead; batches waiting for outcomes go on without them. */
  const stop = () => {
    failed = true;
    for (const resolve of waiting.values()) resolve(undefined);
    waiting.clear();
  };
  const fail = (message: string) => {
    if (!failed) onError(message);
    stop();
  };
  try {
    const entry = new URL(`./validation-worker${ext}`, import.meta.url).href;
    // On Node 20 a worker inherits no module loader hooks, so under tsx the thread registers tsx itself (its API).
    const tsx = ext === '.ts' ? import.meta.resolve('tsx/esm/api') : undefined;
    worker = new Worker(ThreadSource, { eval: true, workerData: { entry, tsx } });
    worker.unref();
    worker.on('message', (m: { id?: number; outcomes?: OperationOutcome[]; error?: string }) => {
      if (m.id === undefined) return;
      const resolve = waiting.get(m.id);
      waiting.delete(m.id);
      if (m.error) onError(`validation worker: ${m.error}`);
      resolve?.(m.outcomes);
    });
    worker.on('error', (err) => fail(`validation worker stopped: ${err.message}`));
    worker.on('exit', (code) => {
      if (code !== 0) fail(`validation worker exited with code ${code}`);
    });
  } catch (err) {
    fail(`validation worker not started: ${(err as Error).message}`);
  }

  const generations: Array<Map<string, OperationOutcome>> = [];
  return {
    async prepare(resources) {
      const outcomes = new Map<string, OperationOutcome>();
      generations.push(outcomes);
      if (generations.length > KeptGenerations) generations.shift();
      if (failed || !worker || resources.length === 0) return;
      const id = nextId++;
      const result = await new Promise<OperationOutcome[] | undefined>((resolve) => {
        waiting.set(id, resolve);
        worker!.postMessage({ id, resources });
      });
      result?.forEach((outcome, i) => outcomes.set(resources[i], outcome));
    },
    take(resource) {
      if (!generations.some((g) => g.size > 0)) return undefined;
      const json = JSON.stringify(resource);
      for (const g of generations) {
        const outcome = g.get(json);
        if (outcome) {
          g.delete(json);
          return outcome;
        }
      }
      return undefined;
    },
    async close() {
      stop();
      await worker?.terminate();
    },
  };
}
