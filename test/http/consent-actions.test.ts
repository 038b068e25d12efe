// C6 citizen actions over HTTP and their role limits (C3 guardian, C4 proxy, C5 minor), with Consents validated on write (ppc-1, profiles).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Consent, ConsentProvision, Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsentKind } from '../../src/kanta/codes.js';
import { encounter, permission, prescription } from '../consent/world.js';
import { backends } from '../support/backends.js';
import {
  ago,
  type Caller,
  type Client,
  clientFor,
  guardianOf,
  healthMarks as H,
  hetu,
  issueText,
  Org,
  organizations,
  patientOf,
  professional,
  seedWorld,
  type SeededWorld,
  proxyOf,
} from '../support/consent-fixtures.js';
import { startTestGateway, type TestGateway } from '../support/test-gateway.js';

const { HUS, TAYS } = Org;

/** A profile example (profiles/examples) re-pointed at a seeded patient, without its id. */
function example(name: string, patientRef: string, performerRef = patientRef): Resource {
  const r = JSON.parse(readFileSync(join(import.meta.dirname, '../../profiles/examples', `${name}.valid.json`), 'utf8')) as Consent;
  delete r.id;
  // Who gave a consent and when are the token's subject and the server clock (seed 003); the example's own date is not now.
  delete r.dateTime;
  return { ...r, patient: { reference: patientRef }, performer: [{ reference: performerRef }] } as Resource;
}

describe.each(backends())('citizen actions over HTTP (%s)', (backend) => {
  let gw: TestGateway;
  let w: SeededWorld;
  let c: Client;
  const gHetu = hetu('1985-07-22', 970);
  const citizen: Caller = { kind: 'citizen', patient: 'p1' };
  const guardian: Caller = { kind: 'guardian', subject: gHetu, patient: 'k9' };
  const minor: Caller = { kind: 'citizen', patient: 'k15' };
  const proxy: Caller = { kind: 'proxy', subject: hetu('1970-02-02', 973), patient: 'p1', mandates: ['health', 'social'] };
  const tays: Caller = professional(TAYS, 'health');
  const P = (name: string) => w.ref(`Patient/${name}`);

  beforeAll(async () => {
    gw = await startTestGateway(backend);
    const base = await seedWorld(gw, organizations());
    w = await seedWorld(
      gw,
      [
        patientOf('p1', '1980-03-01'),
        patientOf('k9', ago(9, 60)),
        patientOf('k15', ago(15, 10)),
        guardianOf('rp9', 'k9', gHetu),
        proxyOf('rpx', 'p1', hetu('1970-02-02', 973), ['health', 'social']),
        encounter('e-hus', 'p1', H(HUS), '2024-02-01'),
        encounter('e-hus2', 'p1', H(HUS), '2024-03-01'),
        prescription('rx1', 'p1', H(HUS), '2024-01-01'),
        permission(ConsentKind.PermissionHealth, 'k9', { id: 'by-guardian', performer: 'RelatedPerson/rp9' }),
        permission(ConsentKind.PermissionSocial, 'k9', { id: 'by-other', performer: 'Patient/k9' }),
      ],
      base
    );
    c = clientFor(gw, () => w);
  });
  afterAll(async () => gw?.close());

  it('C6: a citizen acknowledges informing and gives, changes and revokes a permission; each takes effect on the next request (D2)', async () => {
    expect(await c.seen(tays, 'Encounter')).toEqual([]);
    const informing = await c.post('/fhir/Consent', citizen, example('kanta-consent-informing', P('p1')));
    expect(informing.status).toBe(201);
    const given = await c.post('/fhir/Consent', citizen, example('kanta-consent-permission-health', P('p1')));
    expect(given.status).toBe(201);
    expect(await c.seen(tays, 'Encounter')).toEqual(['e-hus', 'e-hus2']);
    // Change: narrow the permission to data of one period only.
    const narrowed: ConsentProvision = { type: 'permit', provision: [{ type: 'permit', dataPeriod: { start: '2024-02-15', end: '2024-12-31' } }] };
    const changed = await c.put(`/fhir/Consent/${given.body.id}`, citizen, { ...given.body, provision: narrowed });
    expect(changed.status).toBe(200);
    expect(await c.seen(tays, 'Encounter')).toEqual(['e-hus2']);
    const revoked = await c.put(`/fhir/Consent/${given.body.id}`, citizen, { ...changed.body, status: 'inactive' });
    expect(revoked.status).toBe(200);
    expect(await c.seen(tays, 'Encounter')).toEqual([]);
    // Give it again for the next test.
    expect((await c.post('/fhir/Consent', citizen, example('kanta-consent-permission-health', P('p1')))).status).toBe(201);
  });

  it('C6 with consent facts cached: a permission revoked through another gateway process on the same database applies on the very next request here', async () => {
    const given = await c.post('/fhir/Consent', citizen, example('kanta-consent-permission-health', P('p1')));
    expect(given.status).toBe(201);
    // Repeated requests with no change in between are served from the cached look-ups...
    expect(await c.seen(tays, 'Encounter')).toEqual(['e-hus', 'e-hus2']);
    expect(await c.seen(tays, 'Encounter')).toEqual(['e-hus', 'e-hus2']);
    // ...and every active permission revoked elsewhere (this process never saw the writes) shows on the next one.
    const peer = await gw.startPeer();
    const peerClient = clientFor(peer, () => w);
    const active = await peerClient.get(`/fhir/Consent?patient=${P('p1')}&status=active&_count=100`, citizen);
    for (const e of active.body.entry ?? []) {
      const consent = e.resource as Consent;
      if (JSON.stringify(consent).includes(ConsentKind.PermissionHealth)) {
        expect((await peerClient.put(`/fhir/Consent/${consent.id}`, citizen, { ...consent, status: 'inactive' })).status).toBe(200);
      }
    }
    expect(await c.seen(tays, 'Encounter')).toEqual([]);
    // Given again (through this process) for the tests that follow.
    expect((await c.post('/fhir/Consent', citizen, example('kanta-consent-permission-health', P('p1')))).status).toBe(201);
    expect(await c.seen(tays, 'Encounter')).toEqual(['e-hus', 'e-hus2']);
  });

  it('C6: a citizen makes and lifts a prohibition on one visit (D3)', async () => {
    const prohibition = {
      ...example('kanta-consent-prohibition', P('p1')),
      provision: { type: 'deny', provision: [{ type: 'deny', data: [{ meaning: 'dependents', reference: { reference: w.ref('Encounter/e-hus') } }] }] },
    };
    const made = await c.post('/fhir/Consent', citizen, prohibition);
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect(await c.seen(tays, 'Encounter')).toEqual(['e-hus2']);
    const lifted = await c.put(`/fhir/Consent/${made.body.id}`, citizen, { ...made.body, status: 'inactive' });
    expect(lifted.status).toBe(200);
    expect(await c.seen(tays, 'Encounter')).toEqual(['e-hus', 'e-hus2']);
  });

  it('C6: a citizen saves and changes a living will and an organ donation will, and gives EU ePrescription consent', async () => {
    const will = await c.post('/fhir/Consent', citizen, example('kanta-consent-living-will', P('p1')));
    expect(will.status, JSON.stringify(will.body)).toBe(201);
    const changedWill = await c.put(`/fhir/Consent/${will.body.id}`, citizen, { ...will.body, sourceAttachment: { contentType: 'text/plain; charset=utf-8', title: 'Hoitotahto', data: 'RWkgZWx2eXR5c3TDpC4=' } });
    expect(changedWill.status).toBe(200);
    expect(changedWill.body.meta.versionId).toBe('2');
    const organ = await c.post('/fhir/Consent', citizen, example('kanta-consent-organ-donation-will', P('p1')));
    expect(organ.status).toBe(201);
    expect((await c.put(`/fhir/Consent/${organ.body.id}`, citizen, { ...organ.body, provision: { type: 'deny' } })).status).toBe(200);
    const eu = await c.post('/fhir/Consent', citizen, example('kanta-consent-eu-eprescription', P('p1')));
    expect(eu.status).toBe(201);
    const mine = await c.get(`/fhir/Consent?patient=${P('p1')}&_count=100`, citizen);
    const kinds = mine.body.entry.map((e: { resource: Consent }) => e.resource.category?.[0]?.coding?.[0]?.code);
    expect(kinds).toEqual(expect.arrayContaining(['living-will', 'organ-donation-will', 'eu-eprescription', 'informing', 'permission-health']));
  });

  it('C6: a citizen requests a prescription renewal as a Task focused on the prescription', async () => {
    const task = {
      ...(JSON.parse(readFileSync(join(import.meta.dirname, '../../profiles/examples/kanta-renewal-task.valid.json'), 'utf8')) as Resource),
      id: undefined,
      focus: { reference: w.ref('MedicationRequest/rx1') },
      for: { reference: P('p1') },
      requester: { reference: P('p1') },
      owner: { reference: w.ref(`Organization/${HUS}`) },
    };
    const res = await c.post('/fhir/Task', citizen, task);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect((await c.get(`/fhir/Task/${res.body.id}`, citizen)).status).toBe(200);
    // Without the profile claim the base spec allows a Task with no focus: the write guard still refuses it (C6).
    const unfocused = await c.post('/fhir/Task', citizen, { ...task, meta: { ...task.meta, profile: undefined }, focus: undefined });
    expect(unfocused.status).toBe(403);
    expect(issueText(unfocused.body)).toBe('C6: a citizen may only write their own consents, prescription renewal requests and wellness data');
  });

  it("C6: a citizen cannot write another person's consent: refused with an OperationOutcome and nothing is stored", async () => {
    const before = await c.get(`/fhir/Consent?patient=${P('k9')}&_summary=count`, guardian);
    const res = await c.post('/fhir/Consent', citizen, example('kanta-consent-permission-health', P('k9')));
    // The child's Patient is not the citizen's to see, so the reference itself is unknown to them (D11); else C6 refuses.
    expect([400, 403]).toContain(res.status);
    expect(issueText(res.body)).toMatch(/^(Unknown reference 'Patient\/[^']+'|C6: a citizen may only write their own consents.*)$/);
    const after = await c.get(`/fhir/Consent?patient=${P('k9')}&_summary=count`, guardian);
    expect(after.body.total).toBe(before.body.total);
  });

  it('C3: a guardian revokes a permission the guardian gave, but not one the guardian did not give (403 OperationOutcome)', async () => {
    const theirs = await c.get(`/fhir/Consent/${w.id('Consent/by-other')}`, guardian);
    expect(theirs.status).toBe(200);
    const refused = await c.put(`/fhir/Consent/${w.id('Consent/by-other')}`, guardian, { ...theirs.body, status: 'inactive' });
    expect(refused.status).toBe(403);
    expect(issueText(refused.body)).toBe('C3: a guardian can change or revoke only a permission the guardian personally gave');
    const fi = await c.put(`/fhir/Consent/${w.id('Consent/by-other')}`, guardian, { ...theirs.body, status: 'inactive' }, { 'Accept-Language': 'fi' });
    expect(fi.status).toBe(403);
    expect(issueText(fi.body)).toBe('C3: huoltaja voi muuttaa tai perua vain itse antamansa luovutusluvan');
    const mine = await c.get(`/fhir/Consent/${w.id('Consent/by-guardian')}`, guardian);
    const revoked = await c.put(`/fhir/Consent/${w.id('Consent/by-guardian')}`, guardian, { ...mine.body, status: 'inactive' });
    expect(revoked.status).toBe(200);
    expect((await c.get(`/fhir/Consent/${w.id('Consent/by-other')}`, guardian)).body.status).toBe('active');
  });

  it('C3: a guardian cannot give prohibitions, wills or EU ePrescription consent for the child', async () => {
    const rp = w.ref('RelatedPerson/rp9');
    for (const kind of ['kanta-consent-prohibition', 'kanta-consent-living-will', 'kanta-consent-organ-donation-will', 'kanta-consent-eu-eprescription']) {
      const body = example(kind, P('k9'), rp) as Consent;
      const res = await c.post('/fhir/Consent', guardian, kind === 'kanta-consent-prohibition' ? { ...body, provision: { type: 'deny', provision: [{ type: 'deny', data: [{ meaning: 'dependents', reference: { reference: P('k9') } }] }] } } : body);
      expect(res.status, kind).toBe(403);
      expect(issueText(res.body)).toBe('C3: a guardian cannot give prohibitions, living or organ donation wills or EU ePrescription consent for the child');
    }
  });

  it('C5: a minor acting alone cannot give a permission (403 OperationOutcome, in the language asked for)', async () => {
    const res = await c.post('/fhir/Consent', minor, example('kanta-consent-permission-health', P('k15')));
    expect(res.status).toBe(403);
    expect(issueText(res.body)).toBe('C5: a minor acting alone cannot give informing acknowledgements, permissions, prohibitions, wills or EU ePrescription consent');
    const sv = await c.post('/fhir/Consent', minor, example('kanta-consent-permission-health', P('k15')), { 'Accept-Language': 'sv' });
    expect(issueText(sv.body)).toBe('C5: en minderårig kan inte ge kvittering, tillstånd, förbud, viljeyttringar eller EU-receptsamtycke');
  });

  it('C4: a proxy cannot write a living will (403), and an existing one answers as missing (it is not theirs to see)', async () => {
    const res = await c.post('/fhir/Consent', proxy, example('kanta-consent-living-will', P('p1')));
    expect(res.status).toBe(403);
    expect(issueText(res.body)).toBe('C4: a proxy never handles living wills, organ donation wills, prohibitions or wellness data');
    const wills = await c.get(`/fhir/Consent?patient=${P('p1')}&category=https://kanta-gateway.example.org/fhir/CodeSystem/consent-kind|living-will`, citizen);
    const will = wills.body.entry[0].resource as Consent;
    const put = await c.put(`/fhir/Consent/${will.id}`, proxy, { ...will, status: 'inactive' });
    expect(put.status).toBe(404);
    const prohibition = await c.post('/fhir/Consent', proxy, { ...example('kanta-consent-prohibition', P('p1')), provision: { type: 'deny', provision: [{ type: 'deny', data: [{ meaning: 'dependents', reference: { reference: w.ref('Encounter/e-hus') } }] }] } });
    expect(prohibition.status).toBe(403);
    expect(issueText(prohibition.body)).toContain('C4');
  });

  it('ppc-1: a Consent with neither policy nor policyRule is refused with an OperationOutcome and nothing is stored', async () => {
    const { policy: _p, ...noPolicy } = example('kanta-consent-eu-eprescription', P('p1')) as Consent;
    const res = await c.post('/fhir/Consent', citizen, { ...noPolicy, meta: undefined });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(JSON.stringify(res.body.issue)).toMatch(/ppc-1|policy/);
  });

  it('a Consent claiming a Kanta profile is validated against it: a category that contradicts the profile is refused', async () => {
    const bad = JSON.parse(readFileSync(join(import.meta.dirname, '../../profiles/examples/kanta-consent-permission-health.invalid.json'), 'utf8')) as Consent;
    delete bad.id;
    const res = await c.post('/fhir/Consent', citizen, { ...bad, patient: { reference: P('p1') }, performer: [{ reference: P('p1') }] });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue.some((i: { severity: string }) => i.severity === 'error')).toBe(true);
  });
});
