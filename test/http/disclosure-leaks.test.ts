// D11 over HTTP: a withheld record never shows nor betrays its existence on any route, and every refusal is audited.
import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doc, encounter } from '../consent/world.js';
import { backends } from '../support/backends.js';
import {
  auditOf,
  type Caller,
  type Client,
  clientFor,
  healthMarks as H,
  hetu,
  Org,
  organizations,
  patientOf,
  professional,
  seedWorld,
  type SeededWorld,
  withheldIn,
} from '../support/consent-fixtures.js';
import { startTestGateway, type TestGateway } from '../support/test-gateway.js';

const { HUS, TAYS } = Org;

/**
 * TAYS (no permission, no informing) acting for p1 sees its own register only. Withheld from it: e-hus and
 * everything of HUS, including d-hus-on-tays, a HUS document written on the TAYS visit e-tays-only-hidden.
 */
const world = (): Resource[] => [
  patientOf('p1', '1980-03-01'),
  encounter('e-hus', 'p1', H(HUS), '2021-02-03'),
  doc('d-hus', 'p1', H(HUS), '2021-02-03', { encounter: 'Encounter/e-hus' }),
  encounter('e-tays', 'p1', H(TAYS), '2024-04-01'),
  encounter('e-tays-2', 'p1', H(TAYS), '2024-04-02'),
  encounter('e-tays-only-hidden', 'p1', H(TAYS), '2024-04-03'),
  doc('d-tays', 'p1', H(TAYS), '2024-04-01', { encounter: 'Encounter/e-tays' }),
  doc('d-tays-on-hus', 'p1', H(TAYS), '2024-04-05', { encounter: 'Encounter/e-hus' }),
  doc('d-hus-on-tays', 'p1', H(HUS), '2024-04-03', { encounter: 'Encounter/e-tays-only-hidden' }),
];

const MISSING = 'no-such-record-0000';
/** Headers whose values legitimately differ between two answers (time, request id, length). */
const VOLATILE = new Set(['date', 'x-request-id', 'content-length', 'etag', 'ratelimit', 'ratelimit-policy', 'ratelimit-remaining', 'ratelimit-reset', 'x-ratelimit-remaining', 'x-ratelimit-reset']);

function shape(res: request.Response): { status: number; headers: string[]; contentType: string; body: unknown } {
  return { status: res.status, headers: Object.keys(res.headers).filter((h) => !VOLATILE.has(h)).sort(), contentType: res.headers['content-type'], body: res.body };
}

const ids = (b: Bundle, type?: string): string[] => (b.entry ?? []).filter((e) => !type || e.resource?.resourceType === type).map((e) => e.resource?.id as string);

describe.each(backends())('D11: no leaks of withheld data over HTTP (%s)', (backend) => {
  let gw: TestGateway;
  let w: SeededWorld;
  let c: Client;
  const tays: Caller = professional(TAYS, 'health');
  const id = (ref: string) => w.id(ref);
  const withheldIds = () => ['Encounter/e-hus', 'DocumentReference/d-hus', 'DocumentReference/d-hus-on-tays'].map(id);

  /**
   * No withheld record is an entry of the answer, and the ids nothing visible points at never appear at all.
   * (e-hus's id does appear inside d-tays-on-hus: that visible TAYS document itself names its visit.)
   */
  function expectNoWithheld(body: unknown): void {
    const entries = ((body as Bundle).entry ?? []).flatMap((e) => [e.resource?.id, e.fullUrl?.split('/').pop()]);
    for (const hidden of withheldIds()) expect(entries, `leaks ${hidden}`).not.toContain(hidden);
    const text = JSON.stringify(body);
    for (const hidden of ['DocumentReference/d-hus', 'DocumentReference/d-hus-on-tays'].map(id)) expect(text, `leaks ${hidden}`).not.toContain(hidden);
  }

  beforeAll(async () => {
    gw = await startTestGateway(backend);
    const base = await seedWorld(gw, organizations());
    w = await seedWorld(gw, world(), base);
    c = clientFor(gw, () => w);
  });
  afterAll(async () => gw?.close());

  it('D11: a withheld read answers exactly as a missing one: status, headers and OperationOutcome', async () => {
    const hidden = await c.get(`/fhir/Encounter/${id('Encounter/e-hus')}`, tays);
    const missing = await c.get(`/fhir/Encounter/${MISSING}`, tays);
    expect(hidden.status).toBe(404);
    expect(shape(hidden)).toEqual(shape(missing));
    expect(hidden.body.issue[0].code).toBe('not-found');
    expectNoWithheld(hidden.body);
    expect((await c.get(`/fhir/Encounter/${id('Encounter/e-tays')}`, tays)).status).toBe(200);
  });

  it('D11: vread and instance history of a withheld record answer as for a missing one', async () => {
    const vHidden = await c.get(`/fhir/Encounter/${id('Encounter/e-hus')}/_history/1`, tays);
    const vMissing = await c.get(`/fhir/Encounter/${MISSING}/_history/1`, tays);
    expect(vHidden.status).toBe(404);
    expect(shape(vHidden)).toEqual(shape(vMissing));
    const hHidden = await c.get(`/fhir/Encounter/${id('Encounter/e-hus')}/_history`, tays);
    const hMissing = await c.get(`/fhir/Encounter/${MISSING}/_history`, tays);
    expect(hHidden.status).toBe(404);
    expect(shape(hHidden)).toEqual(shape(hMissing));
  });

  it('D11: type history lists and counts only what the caller may see', async () => {
    const res = await c.get('/fhir/Encounter/_history?_count=1000', tays);
    expect(res.status).toBe(200);
    expectNoWithheld(res.body);
    const mine = ids(res.body).filter((x) => w.name('Encounter', x));
    expect(mine.map((x) => w.name('Encounter', x)).sort()).toEqual(['e-tays', 'e-tays-2', 'e-tays-only-hidden']);
    expect(res.body.total).toBe((res.body.entry ?? []).length);
  });

  it('D11: search results, Bundle.total and _summary=count leave withheld records out', async () => {
    const p = w.ref('Patient/p1');
    const byPatient = await c.get(`/fhir/Encounter?patient=${p}`, tays);
    expect(ids(byPatient.body).map((x) => w.name('Encounter', x)).sort()).toEqual(['e-tays', 'e-tays-2', 'e-tays-only-hidden']);
    expect(byPatient.body.total).toBe(3);
    expectNoWithheld(byPatient.body);
    const byId = await c.get(`/fhir/Encounter?_id=${id('Encounter/e-hus')}`, tays);
    const byMissingId = await c.get(`/fhir/Encounter?_id=${MISSING}`, tays);
    expect(byId.body.total).toBe(0);
    expect(byId.body.entry ?? []).toEqual(byMissingId.body.entry ?? []);
    const count = await c.get(`/fhir/DocumentReference?patient=${p}&_summary=count`, tays);
    expect(count.body.total).toBe(2);
    expect(count.body.entry ?? []).toHaveLength(0);
    const all = await c.get(`/fhir/DocumentReference?_summary=count&date=le2024-12-31`, tays);
    expect(all.body.total).toBe(2);
  });

  it('D11: _include does not pull in a withheld target, _revinclude no withheld source', async () => {
    const inc = await c.get(`/fhir/DocumentReference?_id=${id('DocumentReference/d-tays-on-hus')}&_include=DocumentReference:encounter`, tays);
    expect(inc.status).toBe(200);
    expect(ids(inc.body)).toEqual([id('DocumentReference/d-tays-on-hus')]);
    expect(inc.body.total).toBe(1);
    const rev = await c.get(`/fhir/Encounter?_id=${id('Encounter/e-tays-only-hidden')}&_revinclude=DocumentReference:encounter`, tays);
    expect(ids(rev.body)).toEqual([id('Encounter/e-tays-only-hidden')]);
    const wild = await c.get(`/fhir/DocumentReference?patient=${w.ref('Patient/p1')}&_include=*`, tays);
    expectNoWithheld(wild.body);
    const revControl = await c.get(`/fhir/Encounter?_id=${id('Encounter/e-tays')}&_revinclude=DocumentReference:encounter`, tays);
    expect(ids(revControl.body).sort()).toEqual([id('Encounter/e-tays'), id('DocumentReference/d-tays')].sort());
  });

  it('D11: chained search does not match through a withheld record', async () => {
    // d-tays-on-hus is visible, but its encounter e-hus (2021-02-03) is not: its date must not be searchable through it.
    const hidden = await c.get('/fhir/DocumentReference?encounter.date=2021-02-03', tays);
    expect(hidden.status).toBe(200);
    expect(hidden.body.total).toBe(0);
    const control = await c.get('/fhir/DocumentReference?encounter.date=2024-04-01', tays);
    expect(ids(control.body)).toEqual([id('DocumentReference/d-tays')]);
  });

  it('D11: _has does not reveal a withheld document (Encounter?_has:DocumentReference:encounter:status=current)', async () => {
    const res = await c.get('/fhir/Encounter?_has:DocumentReference:encounter:status=current', tays);
    expect(res.status).toBe(200);
    const names = ids(res.body).map((x) => w.name('Encounter', x)).filter(Boolean);
    // e-tays-only-hidden has only the withheld HUS document: it must not match.
    expect(names).toEqual(['e-tays']);
    expectNoWithheld(res.body);
  });

  it('D11: $everything returns only what the caller may see', async () => {
    const res = await c.get(`/fhir/Patient/${id('Patient/p1')}/$everything`, tays);
    expect(res.status).toBe(200);
    expectNoWithheld(res.body);
    const names = (res.body as Bundle).entry!.map((e) => `${e.resource!.resourceType}/${w.name(e.resource!.resourceType, e.resource!.id!)}`).sort();
    expect(names).toEqual(
      ['DocumentReference/d-tays', 'DocumentReference/d-tays-on-hus', 'Encounter/e-tays', 'Encounter/e-tays-2', 'Encounter/e-tays-only-hidden', 'Patient/p1'].sort()
    );
  });

  it('D11: batch GET entries answer for a withheld record exactly as for a missing one', async () => {
    const batch = {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        { request: { method: 'GET', url: `Encounter/${id('Encounter/e-hus')}` } },
        { request: { method: 'GET', url: `Encounter/${MISSING}` } },
        { request: { method: 'GET', url: `Encounter?_id=${id('Encounter/e-hus')}` } },
        { request: { method: 'GET', url: `Encounter?_id=${MISSING}` } },
      ],
    };
    const res = await c.post('/fhir', tays, batch);
    expect(res.status).toBe(200);
    const [hidden, missing, sHidden, sMissing] = (res.body as Bundle).entry as BundleEntry[];
    expect(hidden.response?.status).toBe('404');
    expect(hidden).toEqual(missing);
    expect((sHidden.resource as Bundle).total).toBe(0);
    expect((sHidden.resource as Bundle).entry ?? []).toEqual((sMissing.resource as Bundle).entry ?? []);
    expectNoWithheld({ ...res.body, entry: [hidden, missing] });
  });

  it('D11: a transaction with a GET of a withheld record fails exactly as with a missing one', async () => {
    const tx = (target: string) => ({ resourceType: 'Bundle', type: 'transaction', entry: [{ request: { method: 'GET', url: `Encounter/${target}` } }] });
    const hidden = await c.post('/fhir', tays, tx(id('Encounter/e-hus')));
    const missing = await c.post('/fhir', tays, tx(MISSING));
    expect(hidden.status).toBe(404);
    expect(shape(hidden)).toEqual(shape(missing));
  });

  it('D11: paging links page through visible records only and the page count follows the visible total', async () => {
    let next: string | undefined = `/fhir/Encounter?patient=${w.ref('Patient/p1')}&_count=1`;
    const seen: string[] = [];
    let pages = 0;
    while (next) {
      const page = await c.get(next, tays);
      expect(page.status).toBe(200);
      expect(page.body.total).toBe(3);
      expectNoWithheld(page.body);
      seen.push(...ids(page.body));
      pages++;
      const link = (page.body as Bundle).link?.find((l) => l.relation === 'next')?.url;
      next = link ? new URL(link).pathname + new URL(link).search : undefined;
      expect(pages).toBeLessThan(10);
    }
    expect(pages).toBe(3);
    expect(seen.map((x) => w.name('Encounter', x)).sort()).toEqual(['e-tays', 'e-tays-2', 'e-tays-only-hidden']);
  });

  it('D11: writes to a withheld record, and references to one, fail exactly as for a missing one', async () => {
    const put = async (target: string) => c.put(`/fhir/Encounter/${target}`, tays, { ...encounter(target, 'p1', H(TAYS), '2024-04-01'), id: target, subject: { reference: w.ref('Patient/p1') } });
    const uHidden = await put(id('Encounter/e-hus'));
    const uMissing = await put(MISSING);
    expect(uHidden.status).toBe(404);
    expect(shape(uHidden)).toEqual(shape(uMissing));
    const post = async (target: string) =>
      c.post('/fhir/DocumentReference', tays, { ...doc('x', 'p1', H(TAYS), '2024-06-01'), id: undefined, subject: { reference: w.ref('Patient/p1') }, context: { encounter: [{ reference: `Encounter/${target}` }] } });
    const rHidden = await post(id('Encounter/e-hus'));
    const rMissing = await post(MISSING);
    expect(rHidden.status).toBe(rMissing.status);
    expect(rHidden.status).toBeGreaterThanOrEqual(400);
    expect(JSON.stringify(rHidden.body).replaceAll(id('Encounter/e-hus'), '<id>')).toBe(JSON.stringify(rMissing.body).replaceAll(MISSING, '<id>'));
  });

  it('D11: the refusal is audited with the withheld entity; the operator sees it, the answer does not', async () => {
    const requestId = `d11-${backend}-${Date.now()}`;
    const res = await c.get(`/fhir/DocumentReference/${id('DocumentReference/d-hus')}`, tays, { 'X-Request-Id': requestId });
    expect(res.status).toBe(404);
    const events = await auditOf(gw, requestId);
    expect(events).toHaveLength(1);
    expect(withheldIn(events)).toEqual([w.ref('DocumentReference/d-hus')]);
    expect(events[0].outcome).toBe('4');
    const missingId = `d11m-${backend}-${Date.now()}`;
    await c.get(`/fhir/DocumentReference/${MISSING}`, tays, { 'X-Request-Id': missingId });
    expect(withheldIn(await auditOf(gw, missingId))).toEqual([]);
  });

  it("D11: the citizen's own audit log does not name records withheld from the citizen", async () => {
    // A display-delayed document is withheld from the citizen (C1); a professional's refused read of it is logged about p1.
    const delayed = await seedWorld(gw, [doc('d-delayed', 'p1', H(HUS), '2024-05-01', { encounter: 'Encounter/e-hus', releaseDate: '2099-01-01' })], w);
    const target = delayed.id('DocumentReference/d-delayed');
    expect((await c.get(`/fhir/DocumentReference/${target}`, tays)).status).toBe(404);
    const citizen: Caller = { kind: 'citizen', patient: 'p1' };
    expect((await c.get(`/fhir/DocumentReference/${target}`, citizen)).status).toBe(404);
    const log = await c.get('/fhir/AuditEvent?_count=1000', citizen);
    expect(log.status).toBe(200);
    expect(log.body.total).toBeGreaterThan(0);
    const offending = (log.body.entry ?? []).filter((e: unknown) => JSON.stringify(e).includes(target));
    expect(JSON.stringify(offending).slice(0, 3000)).toBe('[]');
  });

  it('D11: searching AuditEvents by a withheld record finds nothing, exactly as for a missing id; refusals of it never show in the citizen\'s search', async () => {
    const target = id('DocumentReference/d-hus-on-tays');
    const citizen: Caller = { kind: 'citizen', patient: 'p1' };
    const citizenCount = async () => (await c.get(`/fhir/AuditEvent?entity=DocumentReference/${target}&_summary=count`, citizen)).body.total;
    const before = await citizenCount();
    expect((await c.get(`/fhir/DocumentReference/${target}`, tays)).status).toBe(404);
    const byWithheld = await c.get(`/fhir/AuditEvent?entity=DocumentReference/${target}&_summary=count`, tays);
    const byMissing = await c.get(`/fhir/AuditEvent?entity=DocumentReference/${MISSING}&_summary=count`, tays);
    expect(byWithheld.status).toBe(byMissing.status);
    expect(byWithheld.body.total).toBe(byMissing.body.total);
    // The citizen may see the record itself (and who created it), but never that someone was refused it.
    expect(await citizenCount()).toBe(before);
  });
});
