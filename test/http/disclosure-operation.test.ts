// Patient/[id]/$disclosure over HTTP: rule IDs, provisions and fi/sv/en texts for what the caller may see; 404 for what they may not (D11); audited.
import type { OperationOutcome, Parameters, ParametersParameter } from '@medplum/fhirtypes';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsentKind } from '../../src/kanta/codes.js';
import { disclosureOperation } from '../../src/fhir/operations/disclosure.js';
import { doc, encounter, episode, informing, permission, prohibition } from '../consent/world.js';
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
  socialMarks as S,
  withheldIn,
} from '../support/consent-fixtures.js';
import { startTestGateway, type TestGateway } from '../support/test-gateway.js';

const { HUS, TAYS, SOS } = Org;

const values = (p: Parameters, name: string): ParametersParameter[] => (p.parameter ?? []).filter((x) => x.name === name);
const part = (x: ParametersParameter, name: string) => x.part?.find((y) => y.name === name);

describe.each(backends())('$disclosure (%s)', (backend) => {
  let gw: TestGateway;
  let w: SeededWorld;
  let c: Client;
  const tays: Caller = professional(TAYS, 'health');
  const citizen: Caller = { kind: 'citizen', patient: 'p1' };
  const op = (resource: string) => `/fhir/Patient/${w.id('Patient/p1')}/$disclosure?resource=${encodeURIComponent(resource)}`;

  beforeAll(async () => {
    gw = await startTestGateway(backend);
    const base = await seedWorld(gw, organizations());
    w = await seedWorld(
      gw,
      [
        patientOf('p1', '1980-03-01'),
        patientOf('p2', '1981-03-01'),
        encounter('e-hus', 'p1', H(HUS), '2024-02-01'),
        doc('d-hus', 'p1', H(HUS), '2024-02-01', { encounter: 'Encounter/e-hus' }),
        doc('d-hus-prohibited', 'p1', H(HUS), '2024-02-02', { encounter: 'Encounter/e-hus' }),
        encounter('e-tays', 'p1', H(TAYS), '2024-04-01'),
        episode('ep', 'p1', S(SOS), '2024-01-01', 'adult-social-work'),
        encounter('e-p2-tays', 'p2', H(TAYS), '2024-04-01'),
        informing('p1', 'inf'),
        permission(ConsentKind.PermissionHealth, 'p1', { id: 'perm' }),
        prohibition('p1', [{ document: 'd-hus-prohibited' }], 'proh'),
      ],
      base
    );
    c = clientFor(gw, () => w);
  });
  afterAll(async () => gw?.close());

  it('D2: explains a disclosure with the rule, the consent provisions it rests on and texts in fi, sv and en', async () => {
    const res = await c.get(op(`DocumentReference/${w.id('DocumentReference/d-hus')}`), tays);
    expect(res.status).toBe(200);
    const p = res.body as Parameters;
    expect(p.resourceType).toBe('Parameters');
    expect(values(p, 'decision')[0].valueCode).toBe('permit');
    expect(values(p, 'rule').map((x) => x.valueCode)).toEqual(['D2']);
    expect(values(p, 'provision').map((x) => [part(x, 'consent')?.valueReference?.reference, part(x, 'path')?.valueString, part(x, 'type')?.valueCode])).toEqual([
      [w.ref('Consent/inf'), 'provision', 'permit'],
      [w.ref('Consent/perm'), 'provision', 'permit'],
    ]);
    const texts = Object.fromEntries(values(p, 'text').map((x) => [part(x, 'language')?.valueCode, part(x, 'value')?.valueString]));
    expect(texts.fi).toContain('luovutuslupa');
    expect(texts.sv).toContain('tillstånd');
    expect(texts.en).toBe('Same-sector disclosure: informing acknowledged, permission active, no prohibition.');
    expect(values(p, 'message')[0].valueString).toBe(texts.en);
    // The explanation never names the prohibition (D11): its target would betray a withheld record.
    expect(JSON.stringify(p)).not.toContain(w.id('Consent/proh'));
  });

  it('answers in the language of Accept-Language, and takes POST Parameters with a valueReference', async () => {
    const sv = await c.get(op(`DocumentReference/${w.id('DocumentReference/d-hus')}`), tays, { 'Accept-Language': 'sv' });
    expect(values(sv.body, 'message')[0].valueString).toBe('Utlämnande inom sektorn: information kvitterad, tillstånd gäller, inget förbud.');
    const posted = await c.post(`/fhir/Patient/${w.id('Patient/p1')}/$disclosure`, tays, {
      resourceType: 'Parameters',
      parameter: [{ name: 'resource', valueReference: { reference: w.ref('Encounter/e-tays') } }],
    }, { 'Accept-Language': 'fi' });
    expect(posted.status).toBe(200);
    expect(values(posted.body, 'rule').map((x) => x.valueCode)).toEqual(['D1', 'D2']);
    expect(values(posted.body, 'message')[0].valueString).toContain('Oma rekisteri');
  });

  it('D1, C1: the own register and the citizen are explained by their own rules', async () => {
    const own = await c.get(op(`Encounter/${w.id('Encounter/e-hus')}`), professional(HUS, 'health'));
    expect(values(own.body, 'rule').map((x) => x.valueCode)).toContain('D1');
    const mine = await c.get(op(`DocumentReference/${w.id('DocumentReference/d-hus')}`), citizen);
    expect(mine.status).toBe(200);
    expect(values(mine.body, 'rule').map((x) => x.valueCode)).toEqual(['C1']);
    expect(values(mine.body, 'provision')).toEqual([]);
  });

  it('D11: a withheld record answers exactly as a missing one (404), and the refusal is audited', async () => {
    const requestId = `disc-${backend}-${Date.now()}`;
    const hidden = await c.get(op(`DocumentReference/${w.id('DocumentReference/d-hus-prohibited')}`), tays, { 'X-Request-Id': requestId });
    const missing = await c.get(op('DocumentReference/no-such-doc'), tays);
    expect(hidden.status).toBe(404);
    expect(hidden.body).toEqual(missing.body);
    expect((hidden.body as OperationOutcome).issue?.[0].code).toBe('not-found');
    expect(withheldIn(await auditOf(gw, requestId))).toEqual([w.ref('DocumentReference/d-hus-prohibited')]);
    // Another register's patient the caller acts not for, and a social-care record: also 404 for this caller.
    expect((await c.get(op(`EpisodeOfCare/${w.id('EpisodeOfCare/ep')}`), tays)).body).toEqual(missing.body);
  });

  it('A1: an explanation is audited with the explained record as a disclosed entity', async () => {
    const requestId = `disc-ok-${backend}-${Date.now()}`;
    await c.get(op(`DocumentReference/${w.id('DocumentReference/d-hus')}`), tays, { 'X-Request-Id': requestId });
    const [event] = await auditOf(gw, requestId);
    expect(event.subtype?.[0]).toMatchObject({ code: 'operation', display: '$disclosure' });
    expect(event.entity?.map((e) => e.what?.reference)).toContain(w.ref('DocumentReference/d-hus'));
  });

  it('explains a type: which rules can disclose it to the caller, or deny when none can', async () => {
    const docs = await c.get(op('DocumentReference'), tays);
    expect(values(docs.body, 'decision')[0].valueCode).toBe('permit');
    expect(values(docs.body, 'rule').map((x) => x.valueCode)).toEqual(['D1', 'D2']);
    const proxy: Caller = { kind: 'proxy', subject: hetu('1970-02-02', 981), patient: 'p1', mandates: ['health'] };
    const none = await c.get(op('RelatedPerson'), proxy);
    expect(none.status).toBe(200);
    expect(values(none.body, 'decision')[0].valueCode).toBe('deny');
    expect(values(none.body, 'message')[0].valueString).toBe('No rule lets you see data of this type.');
  });

  it("answers another patient's record of the own register as missing (D9), and refuses malformed parameters with a 400 OperationOutcome", async () => {
    // Seed 000: "vain, jos ammattilaisella on siihen oikeus asiakas- tai hoitosuhteen ... perusteella": p2's record is withheld.
    const other = await c.get(op(`Encounter/${w.id('Encounter/e-p2-tays')}`), tays);
    expect(other.status).toBe(404);
    const none = await c.get(`/fhir/Patient/${w.id('Patient/p1')}/$disclosure`, tays);
    expect(none.status).toBe(400);
    expect(none.body.issue[0].details.text).toBe("$disclosure needs exactly one 'resource' parameter (Type/id or Type)");
    const bad = await c.get(op('DocumentReference/a/b'), tays);
    expect(bad.status).toBe(400);
    expect(bad.body.issue[0].expression).toEqual(['resource']);
  });

  it('D11: the patient itself must be visible: another patient answers 404 like a missing one', async () => {
    const other = await c.get(`/fhir/Patient/${w.id('Patient/p2')}/$disclosure?resource=Encounter`, tays);
    const missing = await c.get('/fhir/Patient/nobody-here/$disclosure?resource=Encounter', tays);
    expect(other.status).toBe(404);
    expect(other.body).toEqual(missing.body);
  });

  it('is declared in the CapabilityStatement and its OperationDefinition is served and equals conformance/operations', async () => {
    const file = JSON.parse(readFileSync(join(import.meta.dirname, '../../conformance/operations/Patient-disclosure.json'), 'utf8'));
    expect(disclosureOperation.definition).toEqual(file);
    const meta = await c.get('/fhir/metadata', tays);
    const patient = meta.body.rest[0].resource.find((r: { type: string }) => r.type === 'Patient');
    expect(patient.operation).toContainEqual(expect.objectContaining({ name: 'disclosure', definition: file.url }));
    const served = await c.get(`/fhir/OperationDefinition?url=${encodeURIComponent(file.url)}`, tays);
    expect(served.body.total).toBe(1);
    expect(served.body.entry[0].resource.code).toBe('disclosure');
  });
});
