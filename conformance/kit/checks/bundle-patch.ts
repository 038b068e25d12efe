// Checks PATCH entries in batches and transactions (JSON Patch as a Binary, FHIRPath Patch Parameters), If-Match included. https://hl7.org/fhir/R4/http.html#transaction
import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';
import { expectBundle, expectOutcome } from '../expectations.js';
import type { KitContext } from '../kit-context.js';
import { assert, SkipCheck } from '../report.js';

const jsonPatchEntry = (url: string, ops: unknown, ifMatch?: string, contentType = 'application/json-patch+json'): BundleEntry => ({
  resource: { resourceType: 'Binary', contentType, data: Buffer.from(JSON.stringify(ops), 'utf8').toString('base64') },
  request: { method: 'PATCH', url, ...(ifMatch ? { ifMatch } : {}) },
});

/**
 * R4 lets a server leave PATCH out of Bundles even when it offers PATCH and transactions, so these are policy-level:
 * this gateway declares them (CapabilityStatement transaction/batch documentation) and must keep its word.
 */
export async function checkBundlePatch(ctx: KitContext): Promise<void> {
  const { caps, http, report } = ctx;
  const type = caps.types().find((t) => caps.declares(t, 'patch') && caps.declares(t, 'read') && ctx.created.has(t));
  const current = async (): Promise<Resource> => {
    if (!type) throw new SkipCheck('the kit created nothing it may PATCH');
    const r = ctx.created.get(type)!;
    const res = await http.get(`${type}/${r.id}`);
    assert(res.status === 200, `${type}/${r.id} cannot be read back (${res.status})`);
    ctx.created.set(type, res.body as Resource);
    return res.body as Resource;
  };
  const tag = (code: string) => [{ op: 'add', path: '/meta/tag/-', value: { system: 'urn:kit:bundle-patch', code } }];

  if (caps.declaresSystem('transaction')) {
    await report.check(
      'policy/transaction-patch',
      async () => {
        const r = await current();
        const url = `${r.resourceType}/${r.id}`;
        const version = r.meta?.versionId;
        const ok: Bundle = { resourceType: 'Bundle', type: 'transaction', entry: [jsonPatchEntry(url, tag(`tx-${ctx.runId}`), version ? `W/"${version}"` : undefined)] };
        const res = expectBundle(await http.request('POST', '', { body: ok }), 'transaction-response', 'transaction with a JSON Patch entry');
        assert(res.entry?.[0]?.response?.status?.startsWith('200'), `the PATCH entry answered ${res.entry?.[0]?.response?.status}`);
        const after = await current();
        assert(after.meta?.versionId !== version, 'the PATCH entry made no new version');
        assert(after.meta?.tag?.some((t) => t.code === `tx-${ctx.runId}`), 'the patched tag is not on the resource');
        // A stale If-Match and a Binary that is not JSON Patch each fail the whole transaction and change nothing.
        expectOutcome(await http.request('POST', '', { body: { ...ok, entry: [jsonPatchEntry(url, tag('stale'), 'W/"kit-stale"')] } }), 412, 'transaction PATCH with a stale ifMatch');
        expectOutcome(await http.request('POST', '', { body: { ...ok, entry: [jsonPatchEntry(url, tag('bad'), undefined, 'text/plain')] } }), 400, 'transaction PATCH whose Binary is not JSON Patch');
        const still = await current();
        assert(still.meta?.versionId === after.meta?.versionId, 'a refused transaction PATCH changed the resource');
      },
      'policy',
    );
  }
  if (caps.declaresSystem('batch')) {
    await report.check(
      'policy/batch-patch-fhirpath',
      async () => {
        const r = await current();
        const patch = { resourceType: 'Parameters', parameter: [{ name: 'operation', part: [{ name: 'type', valueCode: 'add' }, { name: 'path', valueString: `${r.resourceType}.meta` }, { name: 'name', valueString: 'tag' }, { name: 'value', valueCoding: { system: 'urn:kit:bundle-patch', code: `batch-${ctx.runId}` } }] }] };
        const batch: Bundle = { resourceType: 'Bundle', type: 'batch', entry: [{ resource: patch as Resource, request: { method: 'PATCH', url: `${r.resourceType}/${r.id}` } }] };
        const res = expectBundle(await http.request('POST', '', { body: batch }), 'batch-response', 'batch with a FHIRPath Patch entry');
        const entry = res.entry?.[0];
        assert(entry?.response?.status?.startsWith('200'), `the FHIRPath Patch entry answered ${entry?.response?.status} ${JSON.stringify(entry?.response?.outcome ?? '').slice(0, 200)}`);
        const after = await current();
        assert(after.meta?.tag?.some((t) => t.code === `batch-${ctx.runId}`), 'the FHIRPath-patched tag is not on the resource');
      },
      'policy',
    );
  }
}
