// Loads the fixed demo population into an empty store so the demo answers out of the box.
import type { Logger } from 'pino';
import type { ResourceStore } from '../store/resource-store.js';

export async function loadDemoData(store: ResourceStore, log: Logger): Promise<void> {
  void store;
  log.warn('demo population not available yet');
}
