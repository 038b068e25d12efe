// $kanta-import is the archive operator's: any other caller gets the same 403 before its sources are read, and a guarded create refuses before it looks up an id, so neither is an existence oracle (D11).
import { randomUUID } from 'node:crypto';
import { OperationOutcomeError } from '@medplum/core';
import type { DocumentReference, OperationOutcome, Resource } from '@medplum/fhirtypes';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createGuardedStore } from '../../src/consent/guarded-store.js';
import { forbiddenOutcome, WriteRefusal } from '../../src/consent/messages.js';
import type { WriteGuard } from '../../src/consent/write-guard.js';
import type { AccessPolicy, ResourceStore } from '../../src/store/resource-store.js';
import { doc } from '../consent/world.js';
import { backends } from '../support/backends.js';
import { auditOf, type Caller, clientFor, healthMarks as H, Org, organizations, patientOf, professional, seedWorld, type SeededWorld } from '../support/consent-fixtures.js';
import { startTestGateway, type TestGateway } from '../support/test-gateway.js';

/**
 * SPEC D11: "Withheld data never shows, nor betrays its existence: not in search results, `total`,
 * `_include`/`_revinclude`, chained search or `_has`, history, vread, `$everything`, transaction/batch responses,
 * paging links, error messages or counts. A withheld read answers exactly as a missing resource does. The refusal is
 * audited."
 */
const Refused: Record<'en' | 'fi' | 'sv', OperationOutcome> = {
  en: outcome('$kanta-import is only for the archive operator (kanta_role system without organization)'),
  fi: outcome('$kanta-import on vain arkiston ylläpitäjän käytössä (kanta_role system ilman organization-väitettä)'),
  sv: outcome('$kanta-import får bara användas av arkivets operatör (kanta_role system utan organization-påstående)'),
};

function outcome(text: string): OperationOutcome {
  return { resourceType: 'OperationOutcome', id: 'forbidden', issue: [{ severity: 'error', code: 'forbidden', details: { text } }] };
}

const parameters = (ndjson: string) => ({ resourceType: 'Parameters', parameter: [{ name: 'source', valueAttachment: { title: 'probe.ndjson', data: Buffer.from(ndjson).toString('base64') } }] });

describe.each(backends())('$kanta-import is for the archive operator only (%s)', (backend) => {
  let gw: TestGateway;
  let w: SeededWorld;
  const client = () => clientFor(gw, () => w);
  const citizen: Caller = { kind: 'citizen', patient: 'p1' };
  // HUS is the register holder of the probe and of the withheld document: D1 would let it write the probe by REST.
  const hus: Caller = professional(Org.HUS, 'health');
  // An organisation's own back-end is a system client too, but not the archive operator.
  const orgSystem: Caller = { kind: 'system', subject: 'hus-backend', clientId: 'hus-backend', organization: Org.HUS };
  const callers: Array<[string, Caller]> = [
    ['citizen', citizen],
    ['professional', hus],
    ['organisation system', orgSystem],
  ];

  /** A valid DocumentReference about p1 in HUS's register, carrying the probed id. */
  const probe = (id: string): Resource => ({ ...doc('x', w.id('Patient/p1'), H(Org.HUS), '2024-03-01'), id }) as Resource;
  const operatorGet = async (path: string) => request(gw.app).get(path).set('Authorization', await client().operator());

  beforeAll(async () => {
    gw = await startTestGateway(backend);
    const orgs = await seedWorld(gw, organizations());
    // `other` is p2's: withheld from p1's citizen and from HUS acting for p1 (D9 binds the connection to p1).
    w = await seedWorld(gw, [patientOf('p1', '1980-03-01'), patientOf('p2', '1970-05-05'), doc('other', 'p2', H(Org.HUS), '2024-02-01')], orgs);
  });
  afterAll(async () => gw?.close());

  test.each(callers)('%s: an existing withheld id and a missing id get the identical 403, and nothing is written', async (_name, caller) => {
    const hiddenId = w.id('DocumentReference/other');
    const missingId = randomUUID();
    // The premise: both ids answer a read as missing.
    if (caller.kind !== 'system') {
      expect((await client().get(`/fhir/DocumentReference/${hiddenId}`, caller)).status).toBe(404);
      expect((await client().get(`/fhir/DocumentReference/${missingId}`, caller)).status).toBe(404);
    }
    const before = await operatorGet(`/fhir/DocumentReference/${hiddenId}`);
    expect(before.status).toBe(200);

    const exists = await client().post('/fhir/$kanta-import', caller, parameters(JSON.stringify(probe(hiddenId))));
    const missing = await client().post('/fhir/$kanta-import', caller, parameters(JSON.stringify(probe(missingId))));
    expect(exists.status).toBe(403);
    expect(exists.body).toEqual(Refused.en);
    // Identical answers: nothing in them depends on whether a withheld resource holds the id.
    expect(missing.status).toBe(exists.status);
    expect(missing.body).toEqual(exists.body);

    expect((await operatorGet(`/fhir/DocumentReference/${missingId}`)).status).toBe(404);
    const after = await operatorGet(`/fhir/DocumentReference/${hiddenId}`);
    expect(after.status).toBe(200);
    expect((after.body as DocumentReference).meta?.versionId).toBe((before.body as DocumentReference).meta?.versionId);
    expect(after.body).toEqual(before.body);
  });

  test.each(callers)('%s: the refusal does not depend on the request body either (garbage, no source, not Parameters)', async (_name, caller) => {
    const bodies: unknown[] = [
      parameters('this is not NDJSON {'),
      { resourceType: 'Parameters', parameter: [{ name: 'source', valueAttachment: { data: 'not base64 !!!' } }] },
      { resourceType: 'Parameters' },
      { resourceType: 'Patient' },
    ];
    for (const body of bodies) {
      const res = await client().post('/fhir/$kanta-import', caller, body);
      expect(res.status, JSON.stringify(body)).toBe(403);
      expect(res.body).toEqual(Refused.en);
    }
  });

  test('the refusal follows Accept-Language, like the other refusals', async () => {
    for (const language of ['fi', 'sv'] as const) {
      const res = await client().post('/fhir/$kanta-import', citizen, parameters(JSON.stringify(probe(randomUUID()))), { 'Accept-Language': language });
      expect(res.status).toBe(403);
      expect(res.body).toEqual(Refused[language]);
    }
  });

  test('the refusal is audited and names no withheld record', async () => {
    const requestId = `kanta-import-refused-${backend}-${Date.now()}`;
    const res = await client().post('/fhir/$kanta-import', citizen, parameters(JSON.stringify(probe(w.id('DocumentReference/other')))), { 'X-Request-Id': requestId });
    expect(res.status).toBe(403);
    const events = await auditOf(gw, requestId);
    expect(events).toHaveLength(1);
    expect(events[0].outcome).not.toBe('0');
    expect(JSON.stringify(events[0])).not.toContain(w.id('DocumentReference/other'));
  });

  test('the archive operator still imports, keeping the ids its sources carry', async () => {
    const id = randomUUID();
    const res = await request(gw.app)
      .post('/fhir/$kanta-import')
      .set('Authorization', await client().operator())
      .set('Content-Type', 'application/fhir+json')
      .send(parameters(JSON.stringify(probe(id))));
    expect(res.status, JSON.stringify(res.body).slice(0, 1000)).toBe(200);
    expect((res.body as OperationOutcome).issue?.[0]).toMatchObject({ severity: 'information', code: 'informational', details: { text: 'probe.ndjson: imported (1 created, 0 updated)' } });
    const stored = await operatorGet(`/fhir/DocumentReference/${id}`);
    expect(stored.status).toBe(200);
    expect((stored.body as DocumentReference).subject?.reference).toBe(w.ref('Patient/p1'));
  });

  test('the CapabilityStatement says who may run it', async () => {
    const cs = await request(gw.app).get('/fhir/metadata');
    expect(cs.status).toBe(200);
    expect(cs.body.rest[0].operation).toContainEqual(expect.objectContaining({ name: 'kanta-import', documentation: expect.stringMatching(/only the archive operator/i) }));
  });
});

/**
 * Defence in depth below the operation: whoever reaches the guarded store's create with a chosen id, a caller the
 * write guard refuses gets its 403 without the id being looked up, so the answer cannot depend on it.
 */
describe('guarded create: the write guard answers before the id is looked up', () => {
  const taken: Resource = { resourceType: 'DocumentReference', id: 'taken' } as Resource;
  const hideAll = { forType: () => ({ kind: 'false' }) } as unknown as AccessPolicy;

  /** A raw store holding `taken`, which the caller's policy withholds; it records every id it is asked about. */
  function guarded(writeGuard: WriteGuard) {
    const looked: string[] = [];
    const withheld: unknown[] = [];
    const inner = {
      async read(_type: string, id: string, access?: AccessPolicy) {
        looked.push(id);
        return access ? undefined : id === taken.id ? taken : undefined;
      },
      async create<T extends Resource>(r: T) {
        return r;
      },
    } as unknown as ResourceStore;
    const observer = { disclosed: () => undefined, withheld: (r: unknown) => withheld.push(r) };
    const store = createGuardedStore(inner, hideAll, observer, writeGuard, hideAll, () => {
      throw new Error('no type is refused here');
    });
    return { store, looked, withheld };
  }
  const refused = (s: ResourceStore, id: string) => s.create({ ...taken, id }).then(
    () => undefined,
    (e: unknown) => (e instanceof OperationOutcomeError ? e.outcome : e),
  );

  test('a refused writer gets the identical 403 for a withheld id and a missing one, and nothing is looked up', async () => {
    const refuse: WriteGuard = async () => {
      throw new OperationOutcomeError(forbiddenOutcome('C6', WriteRefusal.CitizenOwnOnly, 'en'));
    };
    const g = guarded(refuse);
    const exists = await refused(g.store, taken.id!);
    const missing = await refused(g.store, 'missing');
    expect(exists).toEqual(forbiddenOutcome('C6', WriteRefusal.CitizenOwnOnly, 'en'));
    expect(missing).toEqual(exists);
    expect(g.looked).toEqual([]);
    expect(g.withheld).toEqual([]);
  });

  test('a permitted writer is answered as before: 404 for a withheld id (recorded as withheld), a missing id is created', async () => {
    const g = guarded(async (_op, r) => r);
    expect(await refused(g.store, taken.id!)).toMatchObject({ id: 'not-found' });
    expect(g.withheld).toEqual([{ resourceType: 'DocumentReference', id: 'taken' }]);
    await expect(g.store.create({ ...taken, id: 'missing' })).resolves.toMatchObject({ id: 'missing' });
  });
});
