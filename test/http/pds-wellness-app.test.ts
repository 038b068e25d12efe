// The whole life of a wellness app in the personal data store (Omatietovaranto) over HTTP, on every backend (P1, P2, C4, C6).
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { AuditEvent, Bundle, BundleEntry, Consent, Observation, Resource } from '@medplum/fhirtypes';
import { ConsentKind, FhirSystem, LocalSystem, LocalSystemMore, profileUrl, RegisterKind } from '../../src/kanta/codes.js';
import { CreatingApplicationExtension, LoincSystem, ObservationCategorySystem, PhrKind, PhrKinds, type PhrKindCode, UcumSystem } from '../../src/pds/phr-kinds.js';
import { healthMarks, organizations, Org, patientOf, proxyOf, seedWorld, type SeededWorld } from '../support/consent-fixtures.js';
import { informing, meta, permission } from '../consent/world.js';
import { backends } from '../support/backends.js';
import { startTestGateway, SystemClaims, type TestGateway } from '../support/test-gateway.js';

const App = 'demo-wellness-app';
const StepApp = 'demo-step-counter';
const PdsToken = `${LocalSystem.RegisterKind}|${RegisterKind.PersonalDataStore}`;
const FhirJson = 'application/fhir+json';

const day = (i: number) => `2025-03-0${i + 1}`;

/** One wellness measurement as an app sends it (profile declared, LOINC code, UCUM unit). */
function measurement(kind: PhrKindCode, patient: string, at: string, value: number | [number, number], unit?: string): Observation {
  const d = PhrKinds[kind];
  const q = (v: number) => ({ value: v, unit: unit ?? d.units[0], system: UcumSystem, code: unit ?? d.units[0] });
  return {
    resourceType: 'Observation',
    meta: { profile: [profileUrl(d.profileId)] },
    status: 'final',
    category: [{ coding: [{ system: ObservationCategorySystem, code: d.category }] }],
    code: { coding: [{ system: LoincSystem, code: d.loinc, display: d.display }] },
    subject: { reference: `Patient/${patient}` },
    performer: [{ reference: `Patient/${patient}` }],
    effectiveDateTime: at,
    ...(d.components
      ? { component: d.components.map((c, i) => ({ code: { coding: [{ system: LoincSystem, code: c.loinc }] }, valueQuantity: q((value as [number, number])[i]) })) }
      : { valueQuantity: q(value as number) }),
  } as Observation;
}

/** A week of measurements from the all-round app: 7 days x 7 kinds, plus one height. */
function week(patient: string): Observation[] {
  const out: Observation[] = [measurement(PhrKind.BodyHeight, patient, `${day(0)}T07:00:00+02:00`, 171)];
  for (let i = 0; i < 7; i++) {
    const t = `${day(i)}T07:30:00+02:00`;
    out.push(
      measurement(PhrKind.BodyWeight, patient, t, 72 + i / 10),
      measurement(PhrKind.BloodPressure, patient, t, [125 + i, 80 + (i % 3)]),
      measurement(PhrKind.HeartRate, patient, t, 60 + i),
      measurement(PhrKind.Steps, patient, `${day(i)}T23:59:00+02:00`, 8000 + 100 * i),
      measurement(PhrKind.BloodGlucose, patient, t, 5.4 + i / 10),
      measurement(PhrKind.BodyTemperature, patient, t, 36.6),
      measurement(PhrKind.SleepDuration, patient, t, 7 + (i % 2) / 2)
    );
  }
  return out;
}

const transaction = (resources: Resource[]): Bundle => ({
  resourceType: 'Bundle',
  type: 'transaction',
  entry: resources.map((r) => ({ fullUrl: `urn:uuid:${randomUUID()}`, resource: r, request: { method: 'POST', url: r.resourceType } }) as BundleEntry),
});

function authorisation(patient: string, clientId: string): Consent {
  return {
    resourceType: 'Consent',
    meta: { profile: [profileUrl('kanta-consent-wellness-app')] },
    status: 'active',
    scope: { coding: [{ system: FhirSystem.ConsentScope, code: 'patient-privacy' }] },
    category: [{ coding: [{ system: LocalSystem.ConsentKind, code: ConsentKind.WellnessApp }] }],
    patient: { reference: `Patient/${patient}` },
    dateTime: new Date().toISOString(),
    performer: [{ reference: `Patient/${patient}` }],
    policy: [{ uri: 'https://www.finlex.fi/fi/laki/ajantasa/2021/20210784' }],
    provision: {
      type: 'permit',
      actor: [{ role: { coding: [{ system: FhirSystem.V3ParticipationType, code: 'IRCP' }] }, reference: { type: 'Device', identifier: { system: LocalSystemMore.AppClientId, value: clientId } } }],
      class: [{ system: 'http://hl7.org/fhir/resource-types', code: 'Observation' }],
    },
  };
}

const writerOf = (o: Observation) => o.extension?.find((e) => e.url === CreatingApplicationExtension)?.extension?.find((e) => e.url === 'applicationId')?.valueString;
const entries = <T extends Resource>(b: Bundle) => (b.entry ?? []).filter((e) => e.search?.mode !== 'include').map((e) => e.resource as T);
const issueTexts = (body: unknown) => ((body as { issue?: { details?: { text?: string } }[] }).issue ?? []).map((i) => i.details?.text ?? '');

describe.each(backends())('personal data store: the life of a wellness app (%s)', (backend) => {
  let gw: TestGateway;
  let w: SeededWorld;
  let P: string;
  const tokens = new Map<string, string>();
  /** Bearer header for a caller; minted once per test file (all callers act for Maija). */
  const as = async (who: 'citizen' | 'app' | 'stepApp' | 'doctor' | 'proxy' | 'operator'): Promise<string> => {
    if (!tokens.has(who)) {
      const claims: Record<string, Record<string, unknown>> = {
        citizen: { sub: '150380-902U', kanta_role: 'citizen', patient: P, scope: 'patient/*.cruds' },
        app: { sub: App, kanta_role: 'app', client_id: App, patient: P, scope: 'patient/Observation.cruds' },
        stepApp: { sub: StepApp, kanta_role: 'app', client_id: StepApp, patient: P, scope: 'patient/Observation.cruds' },
        doctor: {
          sub: '030368-9064',
          kanta_role: 'professional',
          organization: Org.HUS,
          sector: 'health',
          purpose_of_use: 'TREAT',
          care_relationship: 'treatment',
          patient: P,
          scope: 'user/*.cruds',
        },
        proxy: { sub: '110972-9076', kanta_role: 'proxy', patient: P, mandates: ['health', 'social'], scope: 'patient/*.cruds' },
        operator: SystemClaims as unknown as Record<string, unknown>,
      };
      tokens.set(who, `Bearer ${await gw.token(claims[who])}`);
    }
    return tokens.get(who)!;
  };
  const get = async (path: string, who: Parameters<typeof as>[0]) => request(gw.app).get(path).set('Authorization', await as(who));
  const post = async (path: string, who: Parameters<typeof as>[0], body: unknown, headers: Record<string, string> = {}) => {
    const r = request(gw.app).post(path).set('Authorization', await as(who)).set('Content-Type', FhirJson);
    for (const [k, v] of Object.entries(headers)) r.set(k, v);
    return r.send(body as object);
  };
  /** The caller's view of Maija's Observations: wellness data only unless `care` (professionals and the operator see care data too). */
  const wellnessOf = async (who: Parameters<typeof as>[0], query = '', care = false) => {
    const res = await get(`/fhir/Observation?patient=Patient/${P}&_count=1000${care ? '' : `&_security=${encodeURIComponent(PdsToken)}`}${query}`, who);
    expect(res.status, JSON.stringify(res.body).slice(0, 500)).toBe(200);
    return entries<Observation>(res.body);
  };
  let consentId: string;
  let stepConsentId: string;
  let careObservation: string;

  beforeAll(async () => {
    gw = await startTestGateway(backend);
    // Maija has given every care permission there is, so only P2 keeps wellness data from professionals.
    const care: Resource = {
      resourceType: 'Observation',
      id: 'care-bp',
      meta: meta(healthMarks(Org.HUS)),
      status: 'final',
      code: { coding: [{ system: LoincSystem, code: '85354-9' }] },
      subject: { reference: 'Patient/p1' },
      effectiveDateTime: '2025-02-01T10:00:00+02:00',
    } as Resource;
    w = await seedWorld(gw, [...organizations(), patientOf('p1', '1980-03-15', '150380-902U'), proxyOf('rpx', 'p1', '110972-9076', ['health', 'social']), informing('p1'), permission(ConsentKind.PermissionHealth, 'p1'), care]);
    P = w.id('Patient/p1');
    careObservation = w.id('Observation/care-bp');
  });
  afterAll(async () => gw?.close());

  test('F1/F4: the CapabilityStatement and SMART configuration show the app-facing profiles, scopes and operations', async () => {
    const cs = (await get('/fhir/metadata', 'operator')).body;
    const resource = (t: string) => cs.rest[0].resource.find((r: { type: string }) => r.type === t);
    const obs = resource('Observation');
    for (const kind of Object.values(PhrKinds)) expect(obs.supportedProfile).toContain(profileUrl(kind.profileId));
    expect(obs.interaction.map((i: { code: string }) => i.code)).toEqual(expect.arrayContaining(['create', 'read', 'search-type', 'delete']));
    expect(obs.searchParam.map((p: { name: string }) => p.name)).toContain('creating-application');
    expect(resource('Patient').operation.map((o: { name: string }) => o.name)).toContain('delete-wellness-data');
    const smart = (await request(gw.app).get('/fhir/.well-known/smart-configuration')).body;
    expect(smart.scopes_supported).toEqual(expect.arrayContaining(['patient/Observation.cruds', 'patient/Observation.rs']));
  });

  test('P1: before the citizen authorises it, the app can neither write nor read', async () => {
    const write = await post('/fhir/Observation', 'app', measurement(PhrKind.BodyWeight, P, `${day(0)}T07:00:00+02:00`, 72));
    expect(write.status, JSON.stringify(write.body)).toBe(403);
    expect(issueTexts(write.body)).toEqual(["P1: the app has no active authorisation to the user's wellness data"]);
    const read = await get(`/fhir/Observation?patient=Patient/${P}`, 'app');
    expect(read.status).toBe(403);
    expect(issueTexts(read.body)).toEqual(["P1: the app has no active authorisation to the user's wellness data"]);
  });

  test('P1: the citizen authorises two apps with Consents naming them; naming an unregistered app is refused', async () => {
    const unknown = await post('/fhir/Consent', 'citizen', authorisation(P, 'no-such-app'));
    expect(unknown.status).toBe(400);
    expect(issueTexts(unknown.body)).toEqual(['the authorisation names no-such-app, which is not a registered wellness app']);
    const res = await post('/fhir/Consent', 'citizen', authorisation(P, App));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    consentId = res.body.id;
    const step = await post('/fhir/Consent', 'citizen', authorisation(P, StepApp));
    expect(step.status).toBe(201);
    stepConsentId = step.body.id;
  });

  test('the upload is all-or-nothing: one wrong unit in a week of measurements refuses the whole Bundle with a clear OperationOutcome', async () => {
    const bad = week(P);
    bad[10] = measurement(PhrKind.BodyWeight, P, `${day(1)}T08:00:00+02:00`, 160, '[lb_av]');
    const res = await post('/fhir', 'app', transaction(bad));
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(issueTexts(res.body).join('\n')).toContain('Rule phr-5 not met: valueQuantity is in UCUM (system http://unitsofmeasure.org) with unit code kg');
    expect(await wellnessOf('citizen')).toEqual([]);
  });

  test('invalid codes, a missing profile and a kind the app is not registered for are refused with OperationOutcomes', async () => {
    const wrongCode = measurement(PhrKind.BodyWeight, P, `${day(0)}T07:00:00+02:00`, 72);
    wrongCode.code = { coding: [{ system: LoincSystem, code: '8302-2' }] };
    const r1 = await post('/fhir/Observation', 'app', wrongCode);
    expect(r1.status).toBe(400);
    // The personal data store's own check answers first (who may write what is asked before validation), naming the code.
    expect(issueTexts(r1.body)).toEqual(['the Observation code does not match its declared profile: expected LOINC 29463-7 (Body weight)']);
    expect(r1.body.issue[0].expression).toEqual(['Observation.code']);

    const noProfile = { ...measurement(PhrKind.HeartRate, P, `${day(0)}T07:00:00+02:00`, 61), meta: undefined };
    const r2 = await post('/fhir/Observation', 'app', noProfile);
    expect(r2.status).toBe(400);
    expect(r2.body.issue[0].expression).toEqual(['Observation.meta.profile']);
    expect(issueTexts(r2.body)[0]).toMatch(/^a personal-data-store Observation must declare one of the wellness profiles in meta.profile: .*phr-body-weight/);

    const notMine = await post('/fhir/Observation', 'stepApp', measurement(PhrKind.BodyWeight, P, `${day(0)}T07:00:00+02:00`, 72));
    expect(notMine.status).toBe(403);
    expect(issueTexts(notMine.body)).toEqual(['P1: the app Askelmittari (demo) is not registered to write "Body weight" measurements']);

    const fi = await request(gw.app).post('/fhir/Observation').set('Authorization', await as('app')).set('Accept-Language', 'fi').set('Content-Type', FhirJson).send(noProfile);
    expect(issueTexts(fi.body)[0]).toMatch(/^Omatietovarannon havainnon meta.profile-kentässä/);
    expect(await wellnessOf('citizen')).toEqual([]);
  });

  test('P1: the app uploads a week of measurements in one transaction and reads them back, each stamped with the app that wrote it', async () => {
    const upload = week(P);
    // An app cannot slip its data into a care register or write in another app's name.
    upload[0] = {
      ...upload[0],
      meta: { ...upload[0].meta, security: [{ system: LocalSystem.RegisterHolder, code: Org.HUS }, { system: LocalSystem.RegisterKind, code: RegisterKind.PublicHealth }] },
      extension: [{ url: CreatingApplicationExtension, extension: [{ url: 'name', valueString: 'Fake' }, { url: 'applicationId', valueString: StepApp }] }],
    };
    const res = await post('/fhir', 'app', transaction(upload));
    expect(res.status, JSON.stringify(res.body).slice(0, 800)).toBe(200);
    expect((res.body as Bundle).entry?.map((e) => e.response?.status?.slice(0, 3))).toEqual(upload.map(() => '201'));

    const steps = await post('/fhir/Observation', 'stepApp', measurement(PhrKind.Steps, P, `${day(6)}T23:00:00+02:00`, 4321));
    expect(steps.status).toBe(201);

    const mine = await wellnessOf('app');
    expect(mine).toHaveLength(upload.length + 1);
    for (const o of mine) {
      expect(o.meta?.security).toEqual([{ system: LocalSystem.RegisterKind, code: RegisterKind.PersonalDataStore }]);
      expect(o.extension?.filter((e) => e.url === CreatingApplicationExtension)).toHaveLength(1);
    }
    expect(mine.filter((o) => writerOf(o) === App)).toHaveLength(upload.length);
    const bp = mine.find((o) => o.code?.coding?.[0].code === '85354-9');
    expect(bp?.component?.map((c) => c.valueQuantity?.unit)).toEqual(['mm[Hg]', 'mm[Hg]']);
  });

  test('an app only sees the measurement kinds it is registered for', async () => {
    const seen = await wellnessOf('stepApp');
    const codes = new Set(seen.map((o) => o.code?.coding?.[0].code));
    expect([...codes].sort()).toEqual(['41950-7', '8867-4', '93832-4']);
    expect(seen.filter((o) => writerOf(o) === StepApp)).toHaveLength(1);
  });

  test('only the app that wrote a measurement may delete it', async () => {
    const own = await post('/fhir/Observation', 'app', measurement(PhrKind.HeartRate, P, `${day(6)}T12:00:00+02:00`, 99));
    expect(own.status).toBe(201);
    const removed = await request(gw.app).delete(`/fhir/Observation/${own.body.id}`).set('Authorization', await as('app'));
    expect(removed.status).toBe(200);

    const stepsByApp = (await wellnessOf('stepApp')).find((o) => writerOf(o) === App && o.code?.coding?.[0].code === '41950-7')!;
    const refused = await request(gw.app).delete(`/fhir/Observation/${stepsByApp.id}`).set('Authorization', await as('stepApp'));
    expect(refused.status).toBe(403);
    expect(issueTexts(refused.body)).toEqual(['P1: only the app that wrote a measurement, or the citizen, can change or delete it']);
  });

  test('C6: the citizen sees all wellness data and which app wrote each item', async () => {
    const all = await wellnessOf('citizen');
    const byApp = new Map<string, number>();
    for (const o of all) byApp.set(writerOf(o) ?? '-', (byApp.get(writerOf(o) ?? '-') ?? 0) + 1);
    expect(Object.fromEntries(byApp)).toEqual({ [App]: 50, [StepApp]: 1 });
    const names = new Set(all.map((o) => o.extension?.find((e) => e.url === CreatingApplicationExtension)?.extension?.find((e) => e.url === 'name')?.valueString));
    expect([...names].sort()).toEqual(['Askelmittari (demo)', 'Hyvinvointisovellus (demo)']);
    const onlySteps = await wellnessOf('citizen', `&creating-application=${StepApp}`);
    expect(onlySteps.map(writerOf)).toEqual([StepApp]);
  });

  test('P2: wellness data never reaches a professional, even one with every care permission', async () => {
    const seen = await wellnessOf('doctor', '', true);
    expect(seen.map((o) => o.id)).toEqual([careObservation]);
    const one = (await wellnessOf('citizen'))[0];
    const read = await get(`/fhir/Observation/${one.id}`, 'doctor');
    expect(read.status).toBe(404);
    const bySecurity = await get(`/fhir/Observation?_security=${encodeURIComponent(PdsToken)}`, 'doctor');
    expect(entries(bySecurity.body)).toEqual([]);
    const everything = await get(`/fhir/Patient/${P}/$everything`, 'doctor');
    expect(everything.status).toBe(200);
    expect(entries<Resource>(everything.body).filter((r) => r.resourceType === 'Observation').map((r) => r.id)).toEqual([careObservation]);
    const erase = await post(`/fhir/Patient/${P}/$delete-wellness-data`, 'doctor', { resourceType: 'Parameters' });
    expect(erase.status).toBe(403);
    expect(issueTexts(erase.body)).toEqual(['C6: only the citizen can delete their own wellness data']);
  });

  test('C4: wellness data is never visible to a proxy, who cannot delete it either', async () => {
    expect(await wellnessOf('proxy')).toEqual([]);
    expect((await wellnessOf('proxy', '', true)).map((o) => o.id)).toEqual([careObservation]);
    const one = (await wellnessOf('citizen'))[0];
    expect((await get(`/fhir/Observation/${one.id}`, 'proxy')).status).toBe(404);
    const erase = await post(`/fhir/Patient/${P}/$delete-wellness-data`, 'proxy', { resourceType: 'Parameters' });
    expect(erase.status).toBe(403);
    expect(issueTexts(erase.body)).toEqual(['C4: a proxy never handles wellness data']);
    expect((await wellnessOf('citizen')).length).toBe(51);
  });

  test('P1: the citizen revokes the app; on its next request it reads nothing and its writes are refused', async () => {
    const current = (await get(`/fhir/Consent/${consentId}`, 'citizen')).body as Consent;
    const revoked = await request(gw.app).put(`/fhir/Consent/${consentId}`).set('Authorization', await as('citizen')).set('Content-Type', FhirJson).send({ ...current, status: 'inactive' });
    expect(revoked.status).toBe(200);
    const read = await get(`/fhir/Observation?patient=Patient/${P}`, 'app');
    expect(read.status).toBe(403);
    expect(issueTexts(read.body)).toEqual(["P1: the app has no active authorisation to the user's wellness data"]);
    const write = await post('/fhir/Observation', 'app', measurement(PhrKind.HeartRate, P, `${day(6)}T09:00:00+02:00`, 70));
    expect(write.status).toBe(403);
    expect(issueTexts(write.body)).toEqual(["P1: the app has no active authorisation to the user's wellness data"]);
    // The other app's authorisation is untouched.
    expect((await wellnessOf('stepApp')).length).toBeGreaterThan(0);
    expect(stepConsentId).toBeTruthy();
  });

  test("C6: the citizen deletes one app's data, then all of it, each in one request; the deletion is real and audited", async () => {
    const before = await wellnessOf('citizen');
    const stepIds = before.filter((o) => writerOf(o) === StepApp).map((o) => o.id!);
    const requestId = `pds-delete-${randomUUID()}`;
    const one = await post(`/fhir/Patient/${P}/$delete-wellness-data`, 'citizen', { resourceType: 'Parameters', parameter: [{ name: 'app', valueString: StepApp }] }, { 'X-Request-Id': requestId });
    expect(one.status, JSON.stringify(one.body)).toBe(200);
    expect(one.body).toEqual({ resourceType: 'Parameters', parameter: [{ name: 'deleted', valueInteger: 1 }, { name: 'app', valueString: StepApp }] });
    expect((await wellnessOf('citizen')).map(writerOf).filter((a) => a === StepApp)).toEqual([]);

    const rest = await post(`/fhir/Patient/${P}/$delete-wellness-data`, 'citizen', { resourceType: 'Parameters' });
    expect(rest.body.parameter[0]).toEqual({ name: 'deleted', valueInteger: before.length - 1 });
    expect(await wellnessOf('citizen')).toEqual([]);
    // Care data is untouched.
    expect((await wellnessOf('operator', '', true)).map((o) => o.id)).toEqual([careObservation]);

    // Real deletion: no version of any deleted Observation keeps its content; only the deletion marker remains.
    const ids = before.map((o) => o.id!);
    const rows = await gw.gateway.db.query<{ id: string; deleted: number; content: string }>(
      `SELECT r.id, v.deleted, v.content FROM resource_version v JOIN resource r ON r.rid = v.rid WHERE r.resource_type = 'Observation' AND r.id IN (${ids.map(() => '?').join(', ')})`,
      ids,
    );
    expect(rows).toHaveLength(ids.length);
    expect(rows.every((r) => Number(r.deleted) === 1 && !r.content.includes('valueQuantity') && !r.content.includes('component'))).toBe(true);
    const history = (await get(`/fhir/Observation/${ids[0]}/_history`, 'operator')).body as Bundle;
    expect(history.entry?.map((e) => [e.request?.method, e.resource])).toEqual([['DELETE', undefined]]);

    // Audited: the operation's AuditEvent names the citizen's patient and the deleted Observation.
    const audit = await get(`/fhir/AuditEvent?_count=1000`, 'operator');
    const events = entries<AuditEvent>(audit.body).filter((ev) => (ev.entity ?? []).some((en) => en.what?.identifier?.value === requestId));
    expect(events).toHaveLength(1);
    expect(events[0].subtype?.[0].display).toBe('$delete-wellness-data');
    const refs = (events[0].entity ?? []).map((en) => en.what?.reference);
    expect(refs).toEqual(expect.arrayContaining([`Patient/${P}`, ...stepIds.map((id) => `Observation/${id}`)]));
  });
});
