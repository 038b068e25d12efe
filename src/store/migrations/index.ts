// The store's migrations in order. Forward-only: a released migration never changes; a schema change is a new file with the next number.
import { initialSchema } from './0001-initial-schema.js';
import { leanAuditStore } from './0002-lean-audit-store.js';
import { perPatientChangeStamps } from './0003-per-patient-change-stamps.js';
import type { StoreMigration } from './migration.js';

export const StoreMigrations: ReadonlyArray<readonly [name: string, up: StoreMigration]> = [
  ['0001-initial-schema', initialSchema],
  ['0002-lean-audit-store', leanAuditStore],
  ['0003-per-patient-change-stamps', perPatientChangeStamps],
];
