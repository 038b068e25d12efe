// History and vread disclose only the versions the policy can judge: the current one (or, once deleted, the last live one and the deletion), every version only where the rule reads nothing. https://hl7.org/fhir/R4/http.html#history
import type { Bundle, Resource } from '@medplum/fhirtypes';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DocumentMark } from '../../src/kanta/codes.js';
import { doc, encounter } from '../consent/world.js';
import { backends } from '../support/backends.js';
import { clientFor, healthMarks as H, Org, organizations, patientOf, professional, seedWorld, type SeededWorld } from '../support/consent-fixtures.js';
import { startTestGateway, type TestGateway } from '../support/test-gateway.js';

const secret = Buffer.from('Naapurin diagnoosi (toista henkilöä koskeva tieto)').toString('base64');
const corrected = Buffer.from('korjattu teksti').toString('base64');

/**
 * Seed 004, "OmaKannassa ei näytetä ... korjattujen asiakirjojen aiempia versiota"; seed 003, "Omakannassa näytettävän
 * tiedon on oltava tallennettuna asiakirjan viimeisimpään versioon". The policy is judged on the index of the current
 * version, so an earlier version (here one marked as holding another person's data) is never judged by it.
 */
describe.each(backends())('history and vread of earlier versions (%s)', (backend) => {
  let gw: TestGateway;
  let w: SeededWorld;
  const client = () => clientFor(gw, () => w);
  const holder = professional(Org.HUS, 'health');
  const citizen = { kind: 'citizen' as const, patient: 'p1' };
  let id: string;

  beforeAll(async () => {
    gw = await startTestGateway(backend);
    const orgs = await seedWorld(gw, organizations());
    w = await seedWorld(
      gw,
      [
        patientOf('p1', '1980-03-01'),
        encounter('e1', 'p1', H(Org.HUS), '2024-02-01'),
        {
          ...doc('d1', 'p1', H(Org.HUS, { docMarks: [DocumentMark.OtherPerson] }), '2024-02-01', { encounter: 'Encounter/e1' }),
          content: [{ attachment: { contentType: 'text/plain', data: secret } }],
        } as Resource,
      ],
      orgs,
    );
    id = w.id('DocumentReference/d1');
    expect((await client().get(`/fhir/DocumentReference/${id}/_history/1`, citizen)).status).toBe(404);
    // The holder corrects it: version 2 no longer carries the other person's data, nor the mark.
    const current = (await client().get(`/fhir/DocumentReference/${id}`, holder)).body;
    const v2 = {
      ...current,
      meta: { security: current.meta.security.filter((s: { code: string }) => s.code !== DocumentMark.OtherPerson) },
      content: [{ attachment: { contentType: 'text/plain', data: corrected } }],
    };
    const put = await client().put(`/fhir/DocumentReference/${id}`, holder, v2);
    expect(put.status, JSON.stringify(put.body)).toBe(200);
  });
  afterAll(async () => gw?.close());

  test('the citizen reads the corrected version, and its earlier version answers exactly as a version that never existed', async () => {
    expect((await client().get(`/fhir/DocumentReference/${id}`, citizen)).body.content[0].attachment.data).toBe(corrected);
    const v1 = await client().get(`/fhir/DocumentReference/${id}/_history/1`, citizen);
    const never = await client().get(`/fhir/DocumentReference/${id}/_history/9`, citizen);
    expect(v1.status).toBe(404);
    expect(v1.body.resourceType).toBe('OperationOutcome');
    expect(v1.body.issue).toEqual(never.body.issue);
    expect((await client().get(`/fhir/DocumentReference/${id}/_history/2`, citizen)).status).toBe(200);
  });

  test('instance, type and system history show the citizen the current version only, and count only it', async () => {
    for (const path of [`/fhir/DocumentReference/${id}/_history`, '/fhir/DocumentReference/_history?_count=100', '/fhir/_history?_count=100']) {
      const res = await client().get(path, citizen);
      expect(res.status, path).toBe(200);
      const versions = ((res.body as Bundle).entry ?? []).filter((e) => e.resource?.id === id).map((e) => e.resource?.meta?.versionId);
      expect(versions, path).toEqual(['2']);
      expect(JSON.stringify(res.body), path).not.toContain(secret);
    }
    expect(((await client().get(`/fhir/DocumentReference/${id}/_history`, citizen)).body as Bundle).total).toBe(1);
  });

  test('the holding professional, too, is shown only the version its rules were judged on', async () => {
    const res = await client().get(`/fhir/DocumentReference/${id}/_history`, holder);
    expect(((res.body as Bundle).entry ?? []).map((e) => e.resource?.meta?.versionId)).toEqual(['2']);
    expect((await client().get(`/fhir/DocumentReference/${id}/_history/1`, holder)).status).toBe(404);
  });

  test('the archive operator, whose rule reads no index, sees every version', async () => {
    const auth = await client().operator();
    const hist = await request(gw.app).get(`/fhir/DocumentReference/${id}/_history`).set('Authorization', auth);
    expect(((hist.body as Bundle).entry ?? []).map((e) => e.resource?.meta?.versionId)).toEqual(['2', '1']);
    const v1 = await request(gw.app).get(`/fhir/DocumentReference/${id}/_history/1`).set('Authorization', auth);
    expect(v1.status).toBe(200);
    expect(v1.body.content[0].attachment.data).toBe(secret);
  });
});
