// What every check of the kit shares: the HTTP client, the declared capabilities, the report and the run's own resources.
import type { Bundle, Resource } from '@medplum/fhirtypes';
import type { Capabilities } from './capability.js';
import type { FhirHttp } from './fhir-http.js';
import type { ReportBuilder } from './report.js';

export interface KitContext {
  http: FhirHttp;
  caps: Capabilities;
  report: ReportBuilder;
  /** Unique per run, so the kit finds its own resources among others on a shared server. */
  runId: string;
  /** Resources the kit created this run, by type (latest version). */
  created: Map<string, Resource>;
  /** Resources of a type to derive search values from: the kit's own, else some the server already holds. */
  samples(type: string): Promise<Resource[]>;
}

export function createSamples(http: FhirHttp, created: Map<string, Resource>): (type: string) => Promise<Resource[]> {
  const cache = new Map<string, Resource[]>();
  return async (type) => {
    const own = created.get(type);
    if (own) return [own];
    if (!cache.has(type)) {
      const res = await http.get(`${type}?_count=10`);
      cache.set(type, res.status === 200 ? ((res.body as Bundle).entry ?? []).map((e) => e.resource!).filter((r) => r?.resourceType === type) : []);
    }
    return cache.get(type)!;
  };
}

/** Ids of the match-mode entries of a searchset. */
export function matchIds(bundle: Bundle | undefined): string[] {
  return (bundle?.entry ?? []).filter((e) => e.search?.mode !== 'outcome' && e.search?.mode !== 'include').map((e) => e.resource?.id ?? '');
}
