// Keeps AuditEvents in an answer from naming records the caller may not see, unless the caller is the archive operator (D11, A4). https://profiles.ihe.net/ITI/BALP/
import type { AuditEvent, Bundle, Resource } from '@medplum/fhirtypes';
import { isAuditor, redactAuditEventFor } from '../audit/audit-event.js';
import type { Principal } from '../context.js';
import type { FhirResponse } from '../fhir/types.js';

export type VisibleRefs = (refs: string[]) => Promise<Set<string>>;

function auditEventsIn(r: Resource): AuditEvent[] {
  if (r.resourceType === 'AuditEvent') return [r as AuditEvent];
  if (r.resourceType === 'Bundle') return ((r as Bundle).entry ?? []).flatMap((e) => (e.resource ? auditEventsIn(e.resource) : []));
  return [];
}

function rewrite(r: Resource, shown: (ev: AuditEvent) => AuditEvent): Resource {
  if (r.resourceType === 'AuditEvent') return shown(r as AuditEvent);
  if (r.resourceType === 'Bundle') {
    const b = r as Bundle;
    if (!b.entry?.length) return b;
    return { ...b, entry: b.entry.map((e) => (e.resource ? { ...e, resource: rewrite(e.resource, shown) } : e)) };
  }
  return r;
}

/**
 * A citizen's own log (A4) shows who used their data and when, never which of their records were withheld from
 * someone, nor records the citizen may not see yet (e.g. a display delay, C1). Dropping their entities is not
 * enough: the query text (`DocumentReference?_id=<id>`), the Disclose subtype and a read's success would still
 * name or betray them, so redactAuditEventFor cuts each event to what a request that found nothing shows.
 */
export async function redactAuditEvents(principal: Principal, res: FhirResponse, visible: VisibleRefs | undefined): Promise<FhirResponse> {
  if (!res.resource || isAuditor(principal)) return res;
  const events = auditEventsIn(res.resource);
  if (events.length === 0) return res;
  const refs = new Set(events.flatMap((ev) => (ev.entity ?? []).map((e) => e.what?.reference).filter((x): x is string => !!x)));
  // Without a way to check, fail closed: drop every entity reference.
  const ok = visible ? await visible([...refs]) : new Set<string>();
  const shown = (ev: AuditEvent): AuditEvent => redactAuditEventFor(ev, (ref) => ok.has(ref));
  return { ...res, resource: rewrite(res.resource, shown) };
}
