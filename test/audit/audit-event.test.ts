// A1, D8, D11: the AuditEvents built for REST interactions.
import type { AuditEvent, AuditEventEntity } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { buildRestAuditEvent, buildRestAuditEvents, buildWithheldEntity, outcomeFor, redactWithheld, type RestAuditInput } from '../../src/audit/audit-event.js';
import type { Principal, RequestContext } from '../../src/context.js';

const NOW = new Date('2026-11-26T10:00:00.000Z');
const OWN = '1.2.246.10.99990001.10.0';
const OTHER = '1.2.246.10.99990003.10.0';

function ctx(principal: Partial<Principal> & Pick<Principal, 'kind' | 'subject'>): RequestContext {
  return { principal: { scopes: [], ...principal }, requestId: 'req-42', now: NOW, language: 'en', remoteAddress: '10.0.0.7' };
}

const doctor = ctx({
  kind: 'professional',
  subject: '030368-9064',
  name: 'Dr. Laura Lääkäri',
  organization: OWN,
  unit: '1.2.246.10.99990001.10.101',
  sector: 'health',
  purposeOfUse: 'TREAT',
  clientId: 'ehr',
  tokenId: 'jti-1',
});

function input(over: Partial<RestAuditInput>): RestAuditInput {
  return { ctx: doctor, interaction: 'read', status: 200, patientIds: [], disclosed: [], withheld: [], ...over };
}

const entityOf = (e: AuditEvent, ref: string): AuditEventEntity | undefined => e.entity?.find((x) => x.what?.reference === ref);

describe('REST AuditEvents', () => {
  it('a conditional delete names each resource it acted on, even when no search disclosed it, and its criteria as the query', () => {
    const e = buildRestAuditEvent(
      input({ interaction: 'delete', resourceType: 'Observation', targets: [{ resourceType: 'Observation', id: 'o1' }, { resourceType: 'Observation', id: 'o2' }], patientIds: ['p1'], query: 'code=x' }),
    );
    expect(e.action).toBe('D');
    expect(entityOf(e, 'Observation/o1')).toMatchObject({ type: { code: '2' }, role: { code: '4' } });
    expect(entityOf(e, 'Observation/o2')).toBeDefined();
    expect(e.entity?.filter((x) => x.what?.reference === 'Observation/o1')).toHaveLength(1);
    expect(e.entity?.some((x) => x.query && Buffer.from(x.query, 'base64').toString('utf8') === 'Observation?code=x')).toBe(true);
  });

  it('A1: a read names who, from which organisation and unit, purpose, the patient, the record and the request', () => {
    const e = buildRestAuditEvent(input({ resourceType: 'Encounter', id: 'e1', patientIds: ['p1'], disclosed: [{ reference: 'Encounter/e1', registerHolder: OWN }] }));
    expect(e).toMatchObject({
      resourceType: 'AuditEvent',
      type: { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest' },
      subtype: [{ system: 'http://hl7.org/fhir/restful-interaction', code: 'read' }],
      action: 'R',
      outcome: '0',
      recorded: '2026-11-26T10:00:00.000Z',
      purposeOfEvent: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'TREAT' }] }],
      source: { observer: { identifier: { value: 'kanta-gateway' } }, type: [{ code: '4' }] },
    });
    const user = e.agent[0];
    expect(user).toMatchObject({
      requestor: true,
      who: { identifier: { system: 'urn:oid:1.2.246.21', value: '030368-9064' }, display: 'Dr. Laura Lääkäri' },
      type: { coding: [{ code: 'IRCP' }] },
      purposeOfUse: [{ coding: [{ code: 'TREAT' }] }],
      policy: ['urn:ietf:params:oauth:jti:jti-1'],
    });
    expect(e.agent.find((a) => a.type?.coding?.[0]?.code === 'PROV')?.who?.identifier).toEqual({ system: 'urn:oid:1.2.246.537.6.202.2008', value: `urn:oid:${OWN}` });
    expect(e.agent.find((a) => a.type?.coding?.[0]?.code === 'SDLOC')).toBeDefined();
    expect(e.agent.find((a) => a.network)?.network).toEqual({ address: '10.0.0.7', type: '2' });
    expect(entityOf(e, 'Patient/p1')).toMatchObject({ type: { code: '1' }, role: { code: '1' } });
    expect(entityOf(e, 'Encounter/e1')).toMatchObject({ lifecycle: { code: 'access' }, detail: [{ type: 'register-holder', valueString: OWN }] });
    expect(e.entity?.find((x) => x.type?.code === 'XrequestId')?.what?.identifier?.value).toBe('req-42');
    expect(e.subtype?.map((c) => c.code)).not.toContain('disclose');
  });

  it('A1: a record from another register holder is marked as disclosed, on the entity and the event', () => {
    const e = buildRestAuditEvent(input({ resourceType: 'DocumentReference', id: 'd1', patientIds: ['p1'], disclosed: [{ reference: 'DocumentReference/d1', registerHolder: OTHER }] }));
    expect(entityOf(e, 'DocumentReference/d1')?.lifecycle).toEqual({ system: 'http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle', code: 'disclose', display: 'Disclose Record Lifecycle Event' });
    expect(e.subtype?.map((c) => c.code)).toEqual(['read', 'disclose']);
  });

  it('A1: a search records the query base64-encoded and readable, without any access token', () => {
    const e = buildRestAuditEvent(input({ interaction: 'search-type', resourceType: 'Observation', query: { patient: ['p1'], code: ['8867-4'], access_token: ['secret'] }, patientIds: ['p1'] }));
    expect(e.action).toBe('E');
    const q = e.entity?.find((x) => x.role?.code === '24');
    expect(q?.description).toBe('Observation?patient=p1&code=8867-4');
    expect(Buffer.from(q?.query ?? '', 'base64').toString()).toBe('Observation?patient=p1&code=8867-4');
    expect(q?.name).toBeUndefined();
    expect(JSON.stringify(e)).not.toContain('secret');
  });

  it.each([
    ['create', 'C', 'AUT'],
    ['update', 'U', 'INF'],
    ['patch', 'U', 'INF'],
    ['delete', 'D', 'INF'],
    ['vread', 'R', 'IRCP'],
    ['history-instance', 'R', 'IRCP'],
    ['operation', 'E', 'IRCP'],
  ] as const)('A1: %s is recorded with action %s and user type %s', (interaction, action, userType) => {
    const e = buildRestAuditEvent(input({ interaction, resourceType: 'Consent', id: 'c1' }));
    expect(e.action).toBe(action);
    expect(e.agent[0].type?.coding?.[0]?.code).toBe(userType);
    expect(entityOf(e, 'Consent/c1')).toBeDefined();
  });

  it('A1: the outcome follows the HTTP status and carries the OperationOutcome text on failure', () => {
    expect([200, 201, 304, 400, 404, 500, 503].map(outcomeFor)).toEqual(['0', '0', '0', '4', '4', '8', '12']);
    const e = buildRestAuditEvent(input({ status: 403, outcome: { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'forbidden', details: { text: 'No care relationship asserted' } }] } }));
    expect(e.outcome).toBe('4');
    expect(e.outcomeDesc).toBe('No care relationship asserted');
  });

  it('A1: a guardian is recorded with the child they acted for as a second agent', () => {
    const e = buildRestAuditEvent(input({ ctx: ctx({ kind: 'guardian', subject: '220785-901U', patient: 'child-9' }), patientIds: ['child-9'] }));
    expect(e.agent[0].role?.flatMap((r) => r.coding?.map((c) => c.code))).toEqual(['guardian', 'GUARD']);
    expect(e.agent[1]).toMatchObject({ who: { reference: 'Patient/child-9' }, requestor: false, type: { coding: [{ code: 'represented' }] } });
  });

  it('A1: an app is identified by its client id', () => {
    const e = buildRestAuditEvent(input({ ctx: ctx({ kind: 'app', subject: 'wellness', clientId: 'wellness', patient: 'p1' }) }));
    expect(e.agent[0].who?.identifier).toEqual({ system: 'https://kanta-gateway.example.org/fhir/NamingSystem/app-client-id', value: 'wellness' });
  });

  it('D8: a claimed statutory legal basis is recorded as purpose and as an entity', () => {
    const e = buildRestAuditEvent(
      input({ ctx: ctx({ kind: 'professional', subject: 's', organization: OTHER, sector: 'social', purposeOfUse: 'PUBHLTH', legalBasis: 'L812/2000 20 §' }) }),
    );
    expect(e.purposeOfEvent).toContainEqual({ text: 'L812/2000 20 §' });
    expect(e.entity?.find((x) => x.type?.code === 'legal-basis')?.description).toBe('L812/2000 20 §');
  });

  it('D11: a withheld record is an entity labelled restricted that redaction removes for non-auditors', () => {
    const e = buildRestAuditEvent(input({ resourceType: 'DocumentReference', id: 'secret-doc', status: 404, patientIds: ['p1'], withheld: [{ reference: 'DocumentReference/secret-doc' }] }));
    const w = entityOf(e, 'DocumentReference/secret-doc');
    expect(w).toEqual(buildWithheldEntity('DocumentReference/secret-doc'));
    expect(w?.securityLabel?.[0]?.code).toBe('R');
    expect(e.entity?.filter((x) => x.what?.reference === 'DocumentReference/secret-doc')).toHaveLength(1);
    const shown = redactWithheld(e);
    expect(JSON.stringify(shown)).not.toContain('secret-doc');
    expect(entityOf(shown, 'Patient/p1')).toBeDefined();
  });

  it('A4: one event per patient keeps each patient\'s records out of the other patient\'s events', () => {
    const events = buildRestAuditEvents(
      input({
        interaction: 'search-type',
        resourceType: 'Encounter',
        query: 'status=finished',
        patientIds: ['p1', 'p2'],
        disclosed: [
          { reference: 'Encounter/a', patientId: 'p1' },
          { reference: 'Encounter/b', patientId: 'p2' },
        ],
      }),
    );
    expect(events).toHaveLength(2);
    const [e1, e2] = events;
    expect(entityOf(e1, 'Patient/p1')).toBeDefined();
    expect(entityOf(e1, 'Patient/p2')).toBeUndefined();
    expect(entityOf(e1, 'Encounter/a')).toBeDefined();
    expect(entityOf(e1, 'Encounter/b')).toBeUndefined();
    expect(entityOf(e2, 'Encounter/b')).toBeDefined();
  });
});
