// Checks a declared conditional delete: the single match is deleted, and (this gateway) its AuditEvent names that resource. https://hl7.org/fhir/R4/http.html#cdelete
import type { AuditEvent } from '@medplum/fhirtypes';
import { expectBundle, expectStatus } from '../expectations.js';
import { buildFixture, createdIds, KitIdentifierSystem } from '../fixtures.js';
import type { KitContext } from '../kit-context.js';
import { assert, SkipCheck } from '../report.js';

export async function checkConditionalDelete(ctx: KitContext): Promise<void> {
  const { caps, http, report } = ctx;
  const type = caps
    .types()
    .find((t) => caps.declares(t, 'delete') && caps.declares(t, 'create') && ['single', 'multiple'].includes(caps.resource(t)?.conditionalDelete ?? '') && caps.resource(t)?.searchParam?.some((p) => p.name === 'identifier'));
  if (!type) return;
  const mark = `${ctx.runId}cdel`;
  const requestId = `kit-cdel-${ctx.runId}`;
  let deletedId: string | undefined;
  // R4: a server declaring conditionalDelete deletes the one match of the criteria.
  await report.check(`interaction/${type}/conditional-delete`, async () => {
    const fixture = buildFixture(type, mark, createdIds(ctx.created));
    if (!fixture) throw new SkipCheck(`the kit cannot build a ${type} to delete`);
    const created = await http.request('POST', type, { body: fixture });
    expectStatus(created, 201, 'create before conditional delete');
    const criteria = `identifier=${encodeURIComponent(`${KitIdentifierSystem}|${type.toLowerCase()}-${mark}`)}`;
    const res = await http.request('DELETE', `${type}?${criteria}`, { headers: { 'x-request-id': requestId } });
    expectStatus(res, [200, 204], `DELETE ${type}?${criteria}`);
    expectStatus(await http.get(`${type}/${created.body.id}`), [404, 410], 'read after conditional delete');
    deletedId = created.body.id;
  });
  // BALP entity.what naming the deleted resource, found by the request id the kit sent: this gateway's audit policy.
  await report.check(
    'policy/conditional-delete-audited',
    async () => {
      if (!deletedId) throw new SkipCheck('the conditional delete did not run');
      if (!caps.declares('AuditEvent', 'search-type')) throw new SkipCheck('AuditEvent is not searchable');
      const found = expectBundle(await http.get(`AuditEvent?entity:identifier=${requestId}`), 'searchset', 'AuditEvent search by request id');
      const events = (found.entry ?? []).map((e) => e.resource as AuditEvent).filter((e) => e?.resourceType === 'AuditEvent');
      assert(events.length > 0, `no AuditEvent names request ${requestId}`);
      assert(
        events.some((e) => e.action === 'D' && (e.entity ?? []).some((x) => x.what?.reference === `${type}/${deletedId}`)),
        `no delete AuditEvent of request ${requestId} names ${type}/${deletedId}`,
      );
    },
    'policy',
  );
}
