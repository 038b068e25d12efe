// Resources the kit creates on the server under test: one per writable type, filled in so most search parameters have a real value. https://hl7.org/fhir/R4/resourcelist.html
import type { Resource } from '@medplum/fhirtypes';

/** Ids of resources created earlier in the run, so later fixtures can reference them. */
export type CreatedIds = Partial<Record<string, string>>;

/** Creation order: referenced types first. */
export const FixtureOrder = [
  'Organization',
  'Patient',
  'Practitioner',
  'PractitionerRole',
  'RelatedPerson',
  'Encounter',
  'EpisodeOfCare',
  'DocumentReference',
  'Binary',
  'MedicationRequest',
  'MedicationDispense',
  'Task',
  'Observation',
  'Consent',
  'Provenance',
] as const;

const KitSystem = 'urn:oid:1.2.246.10.9999.1';

/** A minimal-but-rich resource of the type, marked with the run id; undefined for types the kit cannot build. */
export function buildFixture(type: string, runId: string, ids: CreatedIds): Resource | undefined {
  const body = fixtureBody(type, runId, ids);
  // meta.tag/security/source give the common _tag, _security and _source parameters a real value.
  return body && {
    ...body,
    meta: {
      tag: [{ system: 'urn:kit:tag', code: `run-${runId}` }],
      security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'HTEST', display: 'test health data' }],
      source: `urn:kit:source:${runId}`,
    },
  };
}

function fixtureBody(type: string, runId: string, ids: CreatedIds): Resource | undefined {
  const ref = (t: string) => (ids[t] ? { reference: `${t}/${ids[t]}` } : undefined);
  const identifier = [{ system: KitSystem, value: `${type.toLowerCase()}-${runId}` }];
  const when = '2024-03-15T10:30:00+02:00';
  const period = { start: '2024-03-15T10:00:00+02:00', end: '2024-03-15T11:00:00+02:00' };
  const snomed = (code: string, display: string) => ({ coding: [{ system: 'http://snomed.info/sct', code, display }], text: display });
  const name = [{ family: `Kitfamily${runId}`, given: ['Kitgiven'], text: `Kitgiven Kitfamily${runId}` }];
  const telecom = [
    { system: 'phone' as const, value: '+358401234567', use: 'work' as const },
    { system: 'email' as const, value: `kit-${runId}@example.org` },
  ];
  const address = [{ use: 'home' as const, line: ['Kittie 1'], city: 'Helsinki', postalCode: '00100', country: 'FI', state: 'Uusimaa' }];
  switch (type) {
    case 'Organization':
      return { resourceType: 'Organization', identifier, active: true, name: `Kit Organization ${runId}`, alias: ['Kit'], telecom, address: [{ ...address[0], use: 'work' as const }], type: [snomed('394747008', 'Health authority')] };
    case 'Patient':
      return {
        resourceType: 'Patient',
        identifier,
        active: true,
        name,
        telecom,
        gender: 'female',
        birthDate: '1952-10-13',
        address,
        communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: 'fi' }] } }],
        managingOrganization: ref('Organization'),
        generalPractitioner: ids.Organization ? [{ reference: `Organization/${ids.Organization}` }] : undefined,
      } as Resource;
    case 'Practitioner':
      return { resourceType: 'Practitioner', identifier, active: true, name, telecom, address, gender: 'male', communication: [{ coding: [{ system: 'urn:ietf:bcp:47', code: 'fi' }] }] } as Resource;
    case 'PractitionerRole':
      return {
        resourceType: 'PractitionerRole',
        identifier,
        active: true,
        period,
        practitioner: ref('Practitioner'),
        organization: ref('Organization'),
        code: [snomed('158965000', 'Medical practitioner')],
        specialty: [snomed('394814009', 'General practice')],
        telecom,
      } as Resource;
    case 'RelatedPerson':
      return {
        resourceType: 'RelatedPerson',
        identifier,
        active: true,
        patient: ref('Patient'),
        relationship: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode', code: 'MTH', display: 'mother' }] }],
        name,
        telecom,
        gender: 'female',
        birthDate: '1930-01-01',
        address,
      } as Resource;
    case 'Encounter':
      return {
        resourceType: 'Encounter',
        identifier,
        status: 'finished',
        class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB', display: 'ambulatory' },
        type: [snomed('185349003', 'Encounter for check up')],
        subject: ref('Patient'),
        participant: ids.Practitioner ? [{ individual: { reference: `Practitioner/${ids.Practitioner}` } }] : undefined,
        period,
        length: { value: 60, unit: 'min', system: 'http://unitsofmeasure.org', code: 'min' },
        reasonCode: [snomed('162673000', 'General examination of patient')],
        serviceProvider: ref('Organization'),
      } as Resource;
    case 'EpisodeOfCare':
      return {
        resourceType: 'EpisodeOfCare',
        identifier,
        status: 'active',
        type: [snomed('408289007', 'Rehabilitation')],
        patient: ref('Patient'),
        managingOrganization: ref('Organization'),
        period: { start: period.start },
        careManager: ref('Practitioner'),
      } as Resource;
    case 'DocumentReference':
      return {
        resourceType: 'DocumentReference',
        identifier,
        masterIdentifier: { system: KitSystem, value: `doc-master-${runId}` },
        status: 'current',
        docStatus: 'final',
        type: { coding: [{ system: 'http://loinc.org', code: '11506-3', display: 'Progress note' }] },
        category: [{ coding: [{ system: 'http://loinc.org', code: '47039-3', display: 'Admission history and physical note' }] }],
        subject: ref('Patient'),
        date: '2024-03-15T11:00:00+02:00',
        author: ids.Practitioner ? [{ reference: `Practitioner/${ids.Practitioner}` }] : undefined,
        custodian: ref('Organization'),
        description: `Kit document ${runId}`,
        securityLabel: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'N' }] }],
        content: [{ attachment: { contentType: 'text/plain', language: 'fi', data: Buffer.from('kit').toString('base64'), title: 'Kit', creation: when }, format: { system: 'urn:oid:1.3.6.1.4.1.19376.1.2.3', code: 'urn:ihe:iti:xds:2017:mimeTypeSufficient' } }],
        context: { encounter: ids.Encounter ? [{ reference: `Encounter/${ids.Encounter}` }] : undefined, period, facilityType: snomed('22232009', 'Hospital'), related: ids.Patient ? [{ reference: `Patient/${ids.Patient}` }] : undefined },
      } as Resource;
    case 'MedicationRequest':
      return {
        resourceType: 'MedicationRequest',
        identifier,
        status: 'active',
        intent: 'order',
        category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/medicationrequest-category', code: 'outpatient' }] }],
        priority: 'routine',
        medicationCodeableConcept: { coding: [{ system: 'http://www.whocc.no/atc', code: 'N02BE01', display: 'paracetamol' }], text: 'paracetamol' },
        subject: ref('Patient'),
        encounter: ref('Encounter'),
        authoredOn: when,
        requester: ref('Practitioner'),
        performer: ref('Organization'),
        dosageInstruction: [{ text: '1 g three times a day', timing: { event: ['2024-03-15T12:00:00+02:00'] } }],
        dispenseRequest: { validityPeriod: period, performer: ref('Organization') },
      } as Resource;
    case 'MedicationDispense':
      return {
        resourceType: 'MedicationDispense',
        identifier,
        status: 'completed',
        medicationCodeableConcept: { coding: [{ system: 'http://www.whocc.no/atc', code: 'N02BE01', display: 'paracetamol' }] },
        subject: ref('Patient'),
        context: ref('Encounter'),
        performer: ids.Practitioner ? [{ actor: { reference: `Practitioner/${ids.Practitioner}` } }] : undefined,
        authorizingPrescription: ids.MedicationRequest ? [{ reference: `MedicationRequest/${ids.MedicationRequest}` }] : undefined,
        type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'FF', display: 'First Fill' }] },
        whenPrepared: when,
        whenHandedOver: '2024-03-15T13:00:00+02:00',
        receiver: ref('Patient') ? [ref('Patient')] : undefined,
      } as Resource;
    case 'Task':
      return {
        resourceType: 'Task',
        identifier,
        status: 'requested',
        businessStatus: { coding: [{ system: 'urn:kit:business-status', code: 'waiting' }], text: 'waiting' },
        intent: 'order',
        priority: 'routine',
        code: { coding: [{ system: 'http://hl7.org/fhir/CodeSystem/task-code', code: 'fulfill' }] },
        focus: ref('MedicationRequest'),
        for: ref('Patient'),
        encounter: ref('Encounter'),
        authoredOn: when,
        lastModified: when,
        executionPeriod: period,
        requester: ref('Practitioner'),
        owner: ref('Organization'),
        groupIdentifier: { system: KitSystem, value: `group-${runId}` },
        performerType: [snomed('158965000', 'Medical practitioner')],
      } as Resource;
    case 'Observation':
      return {
        resourceType: 'Observation',
        identifier,
        status: 'final',
        category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
        code: { coding: [{ system: 'http://loinc.org', code: '29463-7', display: 'Body weight' }] },
        subject: ref('Patient'),
        encounter: ref('Encounter'),
        effectiveDateTime: when,
        issued: '2024-03-15T08:30:00.000Z',
        performer: ref('Practitioner') ? [ref('Practitioner')] : undefined,
        valueQuantity: { value: 70.5, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' },
        method: snomed('258104002', 'Measured'),
      } as Resource;
    case 'Consent':
      return {
        resourceType: 'Consent',
        identifier,
        status: 'proposed',
        scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
        category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0', display: 'Patient Consent' }] }],
        patient: ref('Patient'),
        dateTime: when,
        organization: ref('Organization') ? [ref('Organization')] : undefined,
        policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'OPTIN' }] },
        provision: { type: 'permit', period: { start: '2024-03-15' } },
      } as Resource;
    case 'Provenance':
      return {
        resourceType: 'Provenance',
        target: [ref('Patient') ?? { display: 'kit' }],
        occurredDateTime: when,
        recorded: '2024-03-15T08:30:00.000Z',
        activity: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-DataOperation', code: 'CREATE' }] },
        agent: [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type', code: 'custodian' }] }, who: ref('Organization') ?? { display: 'kit' } }],
        entity: [{ role: 'source', what: { identifier: identifier[0] } }],
      } as Resource;
    case 'Binary':
      // Content the kit can compare byte for byte when it reads it back in its own media type (R4 binary.html).
      return {
        resourceType: 'Binary',
        contentType: 'application/xml',
        ...(ref('DocumentReference') ? { securityContext: ref('DocumentReference') } : {}),
        data: Buffer.from(kitBinaryContent(runId), 'utf8').toString('base64'),
      } as Resource;
    default:
      return undefined;
  }
}

/** The bytes of the kit's Binary fixture. */
export const kitBinaryContent = (runId: string): string => `<?xml version="1.0" encoding="UTF-8"?>\n<kit run="${runId}"/>\n`;

/** The identifier system of every fixture, so the kit finds its own resources again. */
export const KitIdentifierSystem = KitSystem;

/** Ids of what the kit created so far, for references from new fixtures. */
export function createdIds(created: ReadonlyMap<string, Resource>): CreatedIds {
  return Object.fromEntries([...created].map(([t, r]) => [t, r.id]));
}

/** The type the kit prefers for generic write checks (paging, transactions): Patient when it can, else the first it can build. */
export function preferredWritableType(types: string[], usable: (t: string) => boolean): string | undefined {
  return ['Patient', ...types].find((t) => types.includes(t) && usable(t) && buildFixture(t, 'probe', {}) !== undefined);
}
