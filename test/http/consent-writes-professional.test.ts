// Consents written by professionals and deny provisions outside prohibitions, over HTTP on both backends (C6, D10, D11).
import type { Bundle, Consent } from '@medplum/fhirtypes';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ConsentKind, Oid } from '../../src/kanta/codes.js';
import { WriteRefusal } from '../../src/consent/messages.js';
import { doc, encounter, informing, permission, prohibition } from '../consent/world.js';
import { backends } from '../support/backends.js';
import {
  clientFor,
  healthMarks as H,
  issueText,
  Org,
  organizations,
  patientOf,
  professional,
  seedWorld,
  type SeededWorld,
} from '../support/consent-fixtures.js';
import { startTestGateway, type TestGateway } from '../support/test-gateway.js';

/*
 * Seed 003: "informoinnin voi tallentaa sekä luovutusluvan ja kiellon voi tallentaa tai muuttaa terveydenhuollossa":
 * a professional may record the patient's consent, but what is recorded are facts: the patient gave it, at the server's
 * time. Seed 000: "Vuoden 2024 alusta alkaen luovutusluvalla on voitu luovuttaa myös sellaisia tietoja, jotka eivät ole
 * Kannassa": a permission's date decides what it covers (D10), so a backdated one would quietly narrow or widen it.
 */
describe.each(backends())('consents written by professionals (%s)', (backend) => {
  let gw: TestGateway;
  let w: SeededWorld;
  const client = () => clientFor(gw, () => w);
  const hus = professional(Org.HUS, 'health');
  const tays = professional(Org.TAYS, 'health');
  const citizen = { kind: 'citizen' as const, patient: 'p1' };

  /** Every Consent of p1 as stored (id -> versionId), read by the archive operator, who sees them all. */
  async function storedConsents(): Promise<Record<string, string | undefined>> {
    const res = await request(gw.app)
      .get(`/fhir/Consent?patient=${w.id('Patient/p1')}&_count=1000`)
      .set('Authorization', await client().operator());
    expect(res.status).toBe(200);
    return Object.fromEntries(((res.body as Bundle).entry ?? []).map((e) => [e.resource?.id, e.resource?.meta?.versionId]));
  }

  /** A new health permission body for p1 as a client would send it (no id; giver and time as the test says). */
  const permissionBody = (extra: Partial<Consent> = {}): Consent => {
    const { id: _id, dateTime: _d, ...rest } = permission(ConsentKind.PermissionHealth, w.id('Patient/p1'));
    return { ...rest, ...extra } as Consent;
  };

  const expectRefused = (res: request.Response, rule: string, text: string): void => {
    expect(res.status, JSON.stringify(res.body)).toBe(403);
    expect(res.body.issue?.[0]?.code).toBe('forbidden');
    expect(issueText(res.body)).toBe(`${rule}: ${text}`);
  };

  beforeAll(async () => {
    gw = await startTestGateway(backend);
    const orgs = await seedWorld(gw, organizations());
    w = await seedWorld(
      gw,
      [
        patientOf('p1', '1980-03-01'),
        patientOf('p2', '1975-01-01'),
        informing('p1', 'inf'),
        encounter('e1', 'p1', H(Org.HUS), '2024-02-01'),
        doc('secret', 'p1', H(Org.HUS), '2024-02-01', { encounter: 'Encounter/e1' }),
        doc('plain', 'p1', H(Org.HUS), '2024-02-02', { encounter: 'Encounter/e1' }),
      ],
      orgs,
    );
  });
  afterAll(async () => gw?.close());

  test('a professional records a permission for the patient: stored as given by the patient, at the server time', async () => {
    const before = Date.now();
    // The body repeats the patient as giver and "now": both are what the server would stamp, so both are accepted.
    const res = await client().post('/fhir/Consent', hus, permissionBody({ performer: [{ reference: w.ref('Patient/p1') }], dateTime: new Date().toISOString() }));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    // A body that leaves them out gets the same facts.
    const bare = await client().post('/fhir/Consent', hus, permissionBody());
    expect(bare.status, JSON.stringify(bare.body)).toBe(201);
    for (const made of [res.body as Consent, bare.body as Consent]) {
      const stored = (await client().get(`/fhir/Consent/${made.id}`, hus)).body as Consent;
      expect(stored.performer).toEqual([{ reference: w.ref('Patient/p1') }]);
      const at = Date.parse(stored.dateTime as string);
      expect(at).toBeGreaterThanOrEqual(before - 1000);
      expect(at).toBeLessThanOrEqual(Date.now() + 1000);
      // Revoked again so the later tests start from informing only.
      expect((await client().put(`/fhir/Consent/${made.id}`, hus, { ...stored, status: 'inactive' })).status).toBe(200);
    }
  });

  test('a backdated permission (2023, before the D10 cut-off) or one naming another giver is refused, and nothing is written', async () => {
    const before = await storedConsents();
    expectRefused(await client().post('/fhir/Consent', hus, permissionBody({ dateTime: '2023-06-01T10:00:00+03:00' })), 'C6', WriteRefusal.DateTimeNotNow.en);
    const fi = await client().post('/fhir/Consent', hus, permissionBody({ dateTime: '2023-06-01T10:00:00+03:00' }), { 'Accept-Language': 'fi' });
    expectRefused(fi, 'C6', WriteRefusal.DateTimeNotNow.fi);
    // Another patient, a guardian that does not exist, the professional themselves: none of them gave this consent.
    for (const performer of [
      { reference: w.ref('Patient/p2') },
      { reference: 'RelatedPerson/someone' },
      { identifier: { system: Oid.Hetu, value: hus.subject } },
    ]) {
      expectRefused(await client().post('/fhir/Consent', hus, permissionBody({ performer: [performer] })), 'C6', WriteRefusal.PerformerNotPatient.en);
    }
    expect(await storedConsents()).toEqual(before);
  });

  test("a professional cannot rewrite who gave the citizen's own consent or when; changing it is recorded as the patient's, now", async () => {
    const given = await client().post('/fhir/Consent', citizen, permissionBody());
    expect(given.status, JSON.stringify(given.body)).toBe(201);
    const stored = (await client().get(`/fhir/Consent/${given.body.id}`, hus)).body as Consent;
    const before = await storedConsents();
    expectRefused(
      await client().put(`/fhir/Consent/${stored.id}`, hus, { ...stored, performer: [{ identifier: { system: Oid.Hetu, value: hus.subject } }] }),
      'C6',
      WriteRefusal.PerformerNotPatient.en,
    );
    expectRefused(await client().put(`/fhir/Consent/${stored.id}`, hus, { ...stored, dateTime: '2023-06-01T10:00:00+03:00' }), 'C6', WriteRefusal.DateTimeNotNow.en);
    expect(await storedConsents()).toEqual(before);
    const unchanged = (await client().get(`/fhir/Consent/${stored.id}`, citizen)).body as Consent;
    expect([unchanged.meta?.versionId, unchanged.performer, unchanged.dateTime]).toEqual([stored.meta?.versionId, stored.performer, stored.dateTime]);
    // Seed 003 allows recording a change ("tallentaa tai muuttaa"): repeating the stored giver and time is accepted,
    // and the change is stored as the patient's, at the time it was made.
    const revoked = await client().put(`/fhir/Consent/${stored.id}`, hus, { ...stored, status: 'inactive' });
    expect(revoked.status, JSON.stringify(revoked.body)).toBe(200);
    expect((revoked.body as Consent).performer).toEqual([{ reference: w.ref('Patient/p1') }]);
    expect(Math.abs(Date.parse((revoked.body as Consent).dateTime as string) - Date.now())).toBeLessThan(60_000);
  });

  test('a permission carrying a nested deny is refused for the citizen and for a professional; the withheld id never reaches a professional', async () => {
    const secret = w.ref('DocumentReference/secret');
    const denyInside = (deny: Record<string, unknown>): Consent =>
      permissionBody({ provision: { type: 'permit', provision: [deny as never] } });
    const typed = denyInside({ type: 'deny', data: [{ meaning: 'instance', reference: { reference: secret } }] });
    // The compiler reads a nested provision without a type as a deny, so that shape is the same prohibition.
    const untyped = denyInside({ data: [{ meaning: 'instance', reference: { reference: secret } }] });
    const deeper = denyInside({ type: 'permit', provision: [{ type: 'deny', data: [{ meaning: 'instance', reference: { reference: secret } }] }] });
    // A negative permission that names records would show them to every professional too.
    const negativeNaming = permissionBody({ provision: { type: 'deny', data: [{ meaning: 'instance', reference: { reference: secret } }] } });
    const before = await storedConsents();
    for (const body of [typed, untyped, deeper, negativeNaming]) {
      expectRefused(await client().post('/fhir/Consent', citizen, body), 'D11', WriteRefusal.DenyOutsideProhibition.en);
      expectRefused(await client().post('/fhir/Consent', hus, body), 'D11', WriteRefusal.DenyOutsideProhibition.en);
    }
    const sv = await client().post('/fhir/Consent', citizen, typed, { 'Accept-Language': 'sv' });
    expectRefused(sv, 'D11', WriteRefusal.DenyOutsideProhibition.sv);
    // Nor can an existing permission be changed into one.
    const given = await client().post('/fhir/Consent', citizen, permissionBody());
    expect(given.status).toBe(201);
    const afterGiven = await storedConsents();
    expectRefused(await client().put(`/fhir/Consent/${given.body.id}`, citizen, { ...given.body, provision: typed.provision }), 'D11', WriteRefusal.DenyOutsideProhibition.en);
    expect(await storedConsents()).toEqual(afterGiven);
    expect(Object.keys(afterGiven).length).toBe(Object.keys(before).length + 1);

    // The way that works: the prohibition as its own Consent, which professionals are never shown.
    const { id: _id, dateTime: _d, ...own } = prohibition(w.id('Patient/p1'), [{ document: w.id('DocumentReference/secret') }]);
    const made = await client().post('/fhir/Consent', citizen, own);
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect((await client().get(`/fhir/${secret}`, tays)).status).toBe(404);
    expect((await client().get(`/fhir/${w.ref('DocumentReference/plain')}`, tays)).status).toBe(200);
    for (const who of [tays, hus]) {
      const res = await client().get(`/fhir/Consent?patient=${w.id('Patient/p1')}&_count=1000`, who);
      expect(res.status).toBe(200);
      expect(JSON.stringify(res.body)).not.toContain(w.id('DocumentReference/secret'));
    }
  });

  test('saying "no" at the root stays possible: a negative permission and a refused organ donation are accepted', async () => {
    // D2: "No permission, or a negative one: nothing is disclosed"; C6: give, change and revoke permissions.
    const negative = await client().post('/fhir/Consent', citizen, permissionBody({ provision: { type: 'deny' } }));
    expect(negative.status, JSON.stringify(negative.body)).toBe(201);
    const { id: _id, dateTime: _d, ...will } = permission(ConsentKind.OrganDonationWill, w.id('Patient/p1'), { negative: true });
    const refusedDonation = await client().post('/fhir/Consent', hus, will);
    expect(refusedDonation.status, JSON.stringify(refusedDonation.body)).toBe(201);
    expect((refusedDonation.body as Consent).performer).toEqual([{ reference: w.ref('Patient/p1') }]);
    expect((await client().put(`/fhir/Consent/${negative.body.id}`, citizen, { ...negative.body, status: 'inactive' })).status).toBe(200);
  });
});
