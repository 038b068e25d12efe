// In-process cost of one consent decision (load the patient's consents, build the policy, one guarded read), free of HTTP and CPU-sharing noise.
import { join } from 'node:path';
import type { RequestContext } from '../src/context.js';
import { createConsentService } from '../src/consent/consent-service.js';
import { ProjectRoot } from '../src/gateway.js';
import { createSearchRegistry } from '../src/search/registry.js';
import { createSqlResourceStore } from '../src/store/sql/sql-resource-store.js';
import { openSqliteDatabase } from '../src/store/sqlite/sqlite-database.js';
import { loadConformanceResources } from '../src/validation/load-profiles.js';

export interface ConsentCost {
  /** Median microseconds per decision over `rounds` rounds. */
  medianMicros: number;
  rounds: number;
}

/** Runs the decision for a professional reading one document, `rounds` times after a warm-up; the file is only read. */
export async function measureConsentCost(file: string, claims: Record<string, unknown>, documentId: string, rounds = 2000): Promise<ConsentCost> {
  const conformance = loadConformanceResources(['profiles', 'mappings', 'conformance'].map((d) => join(ProjectRoot, d)));
  const registry = createSearchRegistry(conformance.searchParameters);
  const db = openSqliteDatabase(file);
  try {
    const store = createSqlResourceStore(db, registry);
    const consent = createConsentService();
    const ctx = {
      principal: {
        kind: claims.kanta_role, subject: claims.sub, organization: claims.organization, unit: claims.unit, sector: claims.sector,
        purposeOfUse: claims.purpose_of_use, relationship: claims.care_relationship, patient: claims.patient, scopes: String(claims.scope).split(' '),
      },
      requestId: 'bench', now: new Date(), language: 'fi',
    } as unknown as RequestContext;
    const once = async () => {
      const s = await consent.open(ctx, store);
      if (!(await s.store.read('DocumentReference', documentId))) throw new Error(`consent decision did not disclose DocumentReference/${documentId}`);
    };
    for (let i = 0; i < 200; i++) await once();
    const times: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const t = performance.now();
      await once();
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    return { medianMicros: Math.round(times[Math.floor(times.length / 2)] * 1000), rounds };
  } finally {
    await db.close();
  }
}
