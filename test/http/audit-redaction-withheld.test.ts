// A4/C1/D11 over HTTP: a citizen's own audit log never names nor betrays a document withheld from the citizen by a display delay.
import { randomUUID } from 'node:crypto';
import type { AuditEvent, Bundle } from '@medplum/fhirtypes';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runAuditVerify } from '../../src/cli/audit-verify.js';
import { doc, encounter, informing } from '../consent/world.js';
import { backends } from '../support/backends.js';
import { clientFor, healthMarks as H, Org, organizations, patientOf, professional, seedWorld, type SeededWorld } from '../support/consent-fixtures.js';
import type { TestGateway } from '../support/test-gateway.js';
import { startWithRawAccess, type Started } from './audit-support.js';

// Seed 003: the citizen is not shown a document while a display delay is marked on it.
const SEED_003_DELAY = 'Omakannassa ei näytetä tietoja myöskään, mikäli asiakirjalle on terveydenhuollossa merkitty viivästys tietojen näyttämiseen';
// Seed 000: every look at the data is logged so that its use can be watched, so the citizen still sees who looked and when.
const SEED_000_LOG = 'Tietojen katsomisesta jää merkintä lokitietoihin, jotta niiden käyttöä voidaan valvoa.';

const DISCLOSE = 'disclose';
const requestIdOf = (ev: AuditEvent): string | undefined => ev.entity?.find((e) => e.what?.identifier?.value)?.what?.identifier?.value;

/** Every text the event carries, its base64 query entities decoded, so an id cannot hide in an encoding. */
const allText = (ev: AuditEvent): string =>
  [JSON.stringify(ev), ...(ev.entity ?? []).map((e) => (e.query ? Buffer.from(e.query, 'base64').toString('utf8') : ''))].join('\n');

/** The fields that differ between any two requests (id, time, request id, the token's jti), blanked so two events can be compared whole. */
function comparable(ev: AuditEvent): AuditEvent {
  const { id: _id, meta: _meta, recorded: _recorded, ...rest } = ev;
  return {
    ...rest,
    agent: (rest.agent ?? []).map((a) => (a.policy ? { ...a, policy: a.policy.map(() => 'jti') } : a)),
    entity: (rest.entity ?? []).map((e) => (e.what?.identifier?.value ? { ...e, what: { identifier: { value: 'request-id' } } } : e)),
  } as AuditEvent;
}

describe.each(backends())('A4/C1: the citizen sees a professional use of a display-delayed document as a request that found nothing (%s)', (backend) => {
  let s: Started;
  let gw: TestGateway;
  let w: SeededWorld;
  const client = () => clientFor(gw, () => w);
  // D7: a public Uusimaa provider reads another's register once the citizen is informed: a disclosure across registers.
  const neighbour = professional(Org.VANTAA, 'health');
  const citizen = { kind: 'citizen' as const, patient: 'p1' };
  const rid = (what: string) => `l5-${what}-${randomUUID()}`;
  const ids = { hitSearch: rid('hit-search'), missSearch: rid('miss-search'), hitRead: rid('hit-read'), missRead: rid('miss-read'), shownSearch: rid('shown-search'), shownRead: rid('shown-read'), hitOp: rid('hit-op'), missOp: rid('miss-op') };
  let delayed: string;
  let shown: string;
  // A missing id of the same shape as a real one, so not even its form tells the two apart.
  const missing = randomUUID();

  const operatorLog = async (): Promise<Map<string, AuditEvent>> => {
    const res = await request(gw.app).get('/fhir/AuditEvent?_count=1000').set('Authorization', await client().operator());
    expect(res.status).toBe(200);
    return new Map(((res.body as Bundle).entry ?? []).map((e) => e.resource as AuditEvent).map((ev) => [requestIdOf(ev) ?? '', ev]));
  };
  const citizenLog = async (): Promise<Map<string, AuditEvent>> => {
    const res = await client().get(`/fhir/AuditEvent?patient=${w.id('Patient/p1')}&_count=1000`, citizen);
    expect(res.status).toBe(200);
    return new Map(((res.body as Bundle).entry ?? []).map((e) => e.resource as AuditEvent).map((ev) => [requestIdOf(ev) ?? '', ev]));
  };

  beforeAll(async () => {
    s = await startWithRawAccess(backend);
    const token = (claims: Record<string, unknown>) => s.gateway.devIssuer!.mint(claims);
    gw = { app: s.gateway.app, gateway: s.gateway, token, startPeer: () => Promise.reject(new Error('not used')), close: () => s.close() };
    const orgs = await seedWorld(gw, organizations());
    w = await seedWorld(
      gw,
      [
        patientOf('p1', '1980-03-01'),
        informing('p1', 'inf'),
        encounter('e1', 'p1', H(Org.HUS), '2024-02-01'),
        doc('delayed', 'p1', H(Org.HUS), '2024-02-01', { encounter: 'Encounter/e1', releaseDate: '2099-01-01' }),
        doc('shown', 'p1', H(Org.HUS), '2024-02-01', { encounter: 'Encounter/e1' }),
      ],
      orgs,
    );
    delayed = w.id('DocumentReference/delayed');
    shown = w.id('DocumentReference/shown');
    const c = client();
    // C1: the citizen does not see the delayed document; the neighbouring provider does (D7), so it is disclosed to it.
    expect((await c.get(`/fhir/DocumentReference/${delayed}`, citizen)).status).toBe(404);
    expect((await c.get(`/fhir/DocumentReference/${delayed}`, neighbour, { 'X-Request-Id': ids.hitRead })).status).toBe(200);
    expect((await c.get(`/fhir/DocumentReference/${missing}`, neighbour, { 'X-Request-Id': ids.missRead })).status).toBe(404);
    expect((await c.get(`/fhir/DocumentReference?_id=${delayed}`, neighbour, { 'X-Request-Id': ids.hitSearch })).body.total).toBe(1);
    expect((await c.get(`/fhir/DocumentReference?_id=${missing}`, neighbour, { 'X-Request-Id': ids.missSearch })).body.total).toBe(0);
    // An operation on one record: its path names the record, and its success tells it exists.
    expect((await c.get(`/fhir/DocumentReference/${delayed}/$meta`, neighbour, { 'X-Request-Id': ids.hitOp })).status).toBe(200);
    expect((await c.get(`/fhir/DocumentReference/${missing}/$meta`, neighbour, { 'X-Request-Id': ids.missOp })).status).toBe(404);
    // A document the citizen does see, disclosed the same way: its disclosure must stay in the citizen's view.
    expect((await c.get(`/fhir/DocumentReference?_id=${shown}`, neighbour, { 'X-Request-Id': ids.shownSearch })).body.total).toBe(1);
    expect((await c.get(`/fhir/DocumentReference/${shown}`, neighbour, { 'X-Request-Id': ids.shownRead })).status).toBe(200);
  });
  afterAll(async () => s?.close());

  test(`C1/A4: "${SEED_003_DELAY}": no event in the citizen's log names the delayed document`, async () => {
    const log = await citizenLog();
    for (const key of [ids.hitSearch, ids.hitRead, ids.missSearch, ids.missRead, ids.hitOp, ids.missOp]) {
      const ev = log.get(key);
      expect(ev, key).toBeDefined();
      expect(allText(ev!)).not.toContain(delayed);
      expect(allText(ev!)).not.toContain(missing);
      // No disclosed record is shown in these events, so neither is a disclosure.
      expect(ev!.subtype?.map((c) => c.code)).not.toContain(DISCLOSE);
      expect(ev!.entity?.some((e) => e.lifecycle?.code === DISCLOSE)).toBe(false);
    }
    // Nothing anywhere in the log, in any event, names it.
    for (const ev of log.values()) expect(allText(ev)).not.toContain(delayed);
  });

  test('D11/A4: a hit search and a miss search by _id, and a hit read and a miss read, look the same to the citizen field by field', async () => {
    const log = await citizenLog();
    const [hitSearch, missSearch, hitRead, missRead] = [ids.hitSearch, ids.missSearch, ids.hitRead, ids.missRead].map((k) => log.get(k)!);
    expect(comparable(hitSearch)).toEqual(comparable(missSearch));
    expect(comparable(hitRead)).toEqual(comparable(missRead));
    expect(comparable(log.get(ids.hitOp)!)).toEqual(comparable(log.get(ids.missOp)!));
    // What is left of the search: the type and the parameter searched, without the value that could name a record.
    const query = hitSearch.entity?.find((e) => e.role?.code === '24');
    expect(query?.description).toBe('DocumentReference?_id');
    // A read's success would betray that the record exists (a miss answers 404), so neither shows an outcome.
    expect(hitRead.outcome).toBeUndefined();
    expect(missRead.outcome).toBeUndefined();
  });

  test(`A4: "${SEED_000_LOG}": the citizen still sees who used the data, when, and how`, async () => {
    const log = await citizenLog();
    for (const key of [ids.hitSearch, ids.hitRead]) {
      const ev = log.get(key)!;
      const requestor = ev.agent?.find((a) => a.requestor);
      expect(requestor?.who?.identifier?.value).toBe(neighbour.subject);
      expect(ev.recorded).toBeTruthy();
      expect(ev.entity?.some((e) => e.what?.reference === w.ref('Patient/p1'))).toBe(true);
      expect(ev.subtype?.map((c) => c.code)).toContain(key === ids.hitRead ? 'read' : 'search-type');
    }
    // A disclosure of a document the citizen may see still shows in full: the redaction hides only what is hidden.
    for (const key of [ids.shownSearch, ids.shownRead]) {
      const ev = log.get(key)!;
      expect(ev.subtype?.map((c) => c.code)).toContain(DISCLOSE);
      expect(ev.entity?.find((e) => e.what?.reference === `DocumentReference/${shown}`)?.lifecycle?.code).toBe(DISCLOSE);
      expect(ev.outcome).toBe('0');
    }
  });

  test('A3: the operator still sees the stored events in full, unchanged by the citizen reading the log, and the hash chain holds', async () => {
    const before = await operatorLog();
    await citizenLog();
    const after = await operatorLog();
    for (const key of Object.values(ids)) expect(after.get(key), key).toEqual(before.get(key));
    const hitSearch = after.get(ids.hitSearch)!;
    expect(hitSearch.subtype?.map((c) => c.code)).toContain(DISCLOSE);
    expect(hitSearch.entity?.find((e) => e.what?.reference === `DocumentReference/${delayed}`)?.lifecycle?.code).toBe(DISCLOSE);
    expect(hitSearch.entity?.find((e) => e.role?.code === '24')?.description).toBe(`DocumentReference?_id=${delayed}`);
    const hitRead = after.get(ids.hitRead)!;
    expect(hitRead.outcome).toBe('0');
    expect(hitRead.subtype?.map((c) => c.code)).toContain(DISCLOSE);
    expect(hitRead.entity?.some((e) => e.what?.reference === `DocumentReference/${delayed}`)).toBe(true);
    expect(after.get(ids.missRead)!.outcome).toBe('4');
    const lines: string[] = [];
    expect(await runAuditVerify(s.env, (l) => lines.push(l)), lines.join('\n')).toBe(0);
  });
  test('D11: the citizen cannot filter the log by the stored values the view leaves out (subtype, outcome); the operator can', async () => {
    const p1 = w.id('Patient/p1');
    for (const q of [`subtype=${DISCLOSE}`, 'outcome=0', 'outcome=4', `subtype=read,${DISCLOSE}`]) {
      const res = await client().get(`/fhir/AuditEvent?patient=${p1}&${q}`, citizen);
      expect(res.status, q).toBe(400);
      expect(res.body.resourceType).toBe('OperationOutcome');
      expect(res.body.issue[0].details.text, q).toMatch(/archive operator only/);
    }
    const op = await request(gw.app).get(`/fhir/AuditEvent?patient=${p1}&subtype=${DISCLOSE}&_count=1000`).set('Authorization', await client().operator());
    expect(op.status).toBe(200);
    expect(((op.body as Bundle).entry ?? []).length).toBeGreaterThan(0);
  });
});
