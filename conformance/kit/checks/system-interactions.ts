// Checks the declared system interactions batch and transaction, including all-or-nothing transactions. https://hl7.org/fhir/R4/http.html#transaction
import type { Bundle } from '@medplum/fhirtypes';
import { expectBundle, expectRefused } from '../expectations.js';
import { buildFixture, createdIds, KitIdentifierSystem, preferredWritableType } from '../fixtures.js';
import type { KitContext } from '../kit-context.js';
import { assert, SkipCheck } from '../report.js';

export async function checkSystemInteractions(ctx: KitContext): Promise<void> {
  const { caps, http, report } = ctx;
  const readable = caps.types().find((t) => caps.declares(t, 'search-type'));
  const creatable = preferredWritableType(caps.types(), (t) => caps.declares(t, 'create') && caps.declares(t, 'search-type'));
  if (caps.declaresSystem('batch')) {
    await report.check('system/batch', async () => {
      if (!readable) throw new SkipCheck('nothing searchable to batch');
      const batch: Bundle = { resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: 'GET', url: `${readable}?_count=1` } }, { request: { method: 'GET', url: `${readable}/kit-missing-${ctx.runId}` } }] };
      const res = expectBundle(await http.request('POST', '', { body: batch }), 'batch-response', 'batch');
      const statuses = (res.entry ?? []).map((e) => e.response?.status ?? '');
      assert(statuses.length === 2 && statuses[0].startsWith('200') && statuses[1].startsWith('404'), `batch entry statuses ${statuses.join(',')}, expected 200 and 404`);
    });
  }
  if (caps.declaresSystem('search-system')) {
    await report.check('system/search-system', async () => {
      if (!readable) throw new SkipCheck('nothing searchable');
      const res = expectBundle(await http.get(`?_type=${readable}&_count=2`), 'searchset', 'GET [base]?_type');
      assert((res.entry ?? []).every((e) => e.search?.mode !== 'match' || e.resource?.resourceType === readable), `GET [base]?_type=${readable} returned other types`);
      const viaPost = await http.request('POST', '_search', { rawBody: `_type=${readable}&_count=2`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expectBundle(viaPost, 'searchset', 'POST [base]/_search');
    });
  }
  if (caps.declaresSystem('history-system')) {
    await report.check('system/history-system', async () => {
      const res = expectBundle(await http.get('_history?_count=3'), 'history', 'GET [base]/_history');
      return `${res.entry?.length ?? 0} entries on the first page`;
    });
  }
  if (caps.declaresSystem('transaction')) {
    await report.check('system/transaction', async () => {
      if (!creatable) throw new SkipCheck('no type the kit can create in a transaction');
      const mark = `tx-${ctx.runId}`;
      const fixture = buildFixture(creatable, mark, createdIds(ctx.created))!;
      const tx: Bundle = { resourceType: 'Bundle', type: 'transaction', entry: [{ fullUrl: 'urn:uuid:6a1c6a52-3b1e-4c55-9d1e-000000000001', resource: fixture, request: { method: 'POST', url: creatable } }] };
      const res = expectBundle(await http.request('POST', '', { body: tx }), 'transaction-response', 'transaction');
      assert(res.entry?.[0]?.response?.status?.startsWith('201'), `transaction create answered ${res.entry?.[0]?.response?.status}`);
      const failing: Bundle = {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { fullUrl: 'urn:uuid:6a1c6a52-3b1e-4c55-9d1e-000000000002', resource: buildFixture(creatable, `${mark}rollback`, createdIds(ctx.created))!, request: { method: 'POST', url: creatable } },
          { fullUrl: 'urn:uuid:6a1c6a52-3b1e-4c55-9d1e-000000000003', resource: { resourceType: creatable, kitNoSuchElement: true } as never, request: { method: 'POST', url: creatable } },
        ],
      };
      expectRefused(await http.request('POST', '', { body: failing }), 'transaction with one invalid entry');
      if (!caps.resource(creatable)?.searchParam?.some((p) => p.name === 'identifier')) return 'rollback answered 4xx (not verified: no identifier search)';
      const leaked = expectBundle(await http.get(`${creatable}?identifier=${encodeURIComponent(`${KitIdentifierSystem}|${creatable.toLowerCase()}-${mark}rollback`)}`), 'searchset', 'search after rollback');
      assert(!leaked.entry?.some((e) => e.resource?.resourceType === creatable), 'a refused transaction still stored its valid entry');
    });
  }
}
