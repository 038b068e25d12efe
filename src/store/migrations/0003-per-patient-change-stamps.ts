// Migration 3: the consent-facts change counter becomes one per patient plus a shared one, so a write about one patient keeps every other patient's cached facts. https://hl7.org/fhir/R4/consent.html
import { migrateChangeStamp } from '../sql/change-stamp.js';
import type { StoreMigration } from './migration.js';

/** The triggers are replaced in place; the counters start from the shared one's rows already there. */
export const perPatientChangeStamps: StoreMigration = async ({ db }) => {
  await migrateChangeStamp(db);
};
