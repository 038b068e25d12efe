// What an import batch wrote, as BALP create/update audit inputs of the operator: one per patient (and one for records of no patient). https://profiles.ihe.net/ITI/BALP/
import type { Resource } from '@medplum/fhirtypes';
import { patientOf } from '../audit/audit-trail.js';
import type { RequestContext } from '../context.js';
import { Interaction } from '../fhir/types.js';
import type { AuditInput } from '../pipeline/ports.js';
import type { ImportLog } from './reference-resolver.js';

/**
 * The audit trail builds one AuditEvent per patient from each input; grouping by patient first keeps records of no
 * patient (organisations) out of every patient's event.
 */
export function importAuditInputs(ctx: RequestContext, log: ImportLog): AuditInput[] {
  const groups = new Map<string, { action: 'create' | 'update'; resources: Resource[] }>();
  for (const { action, resource } of log.written ?? []) {
    const key = `${action}\u0000${patientOf(resource) ?? ''}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { action, resources: [] }));
    g.resources.push(resource);
  }
  return [...groups.values()].map((g) => ({
    ctx,
    interaction: g.action === 'create' ? Interaction.Create : Interaction.Update,
    operation: 'kanta-import',
    status: g.action === 'create' ? 201 : 200,
    record: { disclosed: g.resources, withheld: [] },
  }));
}
