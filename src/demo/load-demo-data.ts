// Loads the fixed demo population (src/kanta/demo-population.ts) into an empty store, in one transaction.
import type { Logger } from 'pino';
import { demoPopulation } from '../kanta/demo-population.js';
import { DemoPatientId } from '../kanta/demo-ids.js';
import type { ResourceStore } from '../store/resource-store.js';

/** True when the population was loaded now (an empty store), false when it was already there. */
export async function loadDemoData(store: ResourceStore, log: Logger): Promise<boolean> {
  if (await store.read('Patient', DemoPatientId.Adult)) {
    log.info('demo population already present');
    return false;
  }
  const resources = demoPopulation();
  await store.transaction(async (tx) => {
    for (const r of resources) await tx.create(r);
  });
  log.info({ resources: resources.length }, 'demo population loaded');
  return true;
}
