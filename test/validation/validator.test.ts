// Resource validation: base R4, project profiles, bindings, invariants, HETU, languages (SPEC F2, F3).
import type { OperationOutcome, StructureDefinition } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, test } from 'vitest';
import type { R4Definitions } from '../../src/validation/r4-definitions.js';
import { loadR4Definitions } from '../../src/validation/r4-definitions.js';
import type { Validator } from '../../src/validation/validator.js';
import { createValidator, isValid, pickLanguage } from '../../src/validation/validator.js';

const HETU = 'urn:oid:1.2.246.21';
const PATIENT_PROFILE = 'https://kanta-gateway.example.org/fhir/StructureDefinition/test-hetu-patient';
const CHILD_PROFILE = 'https://kanta-gateway.example.org/fhir/StructureDefinition/test-named-hetu-patient';
const DECISION_EXTENSION = 'https://kanta-gateway.example.org/fhir/StructureDefinition/test-decision-capacity';
const CONSENT_PROFILE = 'https://kanta-gateway.example.org/fhir/StructureDefinition/test-deny-consent';

/** A small differential profile: identifier 1..*, its system fixed to the HETU OID, one optional extension slice. */
const hetuPatient: StructureDefinition = {
  resourceType: 'StructureDefinition',
  url: PATIENT_PROFILE,
  name: 'TestHetuPatient',
  status: 'draft',
  kind: 'resource',
  abstract: false,
  type: 'Patient',
  baseDefinition: 'http://hl7.org/fhir/StructureDefinition/Patient',
  derivation: 'constraint',
  differential: {
    element: [
      { id: 'Patient', path: 'Patient' },
      { id: 'Patient.extension:decisionCapacity', path: 'Patient.extension', sliceName: 'decisionCapacity', max: '1', type: [{ code: 'Extension', profile: [DECISION_EXTENSION] }] },
      { id: 'Patient.identifier', path: 'Patient.identifier', min: 1 },
      { id: 'Patient.identifier.system', path: 'Patient.identifier.system', min: 1, fixedUri: HETU },
      { id: 'Patient.identifier.value', path: 'Patient.identifier.value', min: 1 },
      { id: 'Patient.contact.relationship', path: 'Patient.contact.relationship', min: 1 },
    ],
  },
};

/** Derives from the project profile above, not from R4 directly. */
const namedHetuPatient: StructureDefinition = {
  ...hetuPatient,
  url: CHILD_PROFILE,
  name: 'TestNamedHetuPatient',
  baseDefinition: PATIENT_PROFILE,
  differential: {
    element: [
      { id: 'Patient.name', path: 'Patient.name', min: 1 },
      {
        id: 'Patient.name.family',
        path: 'Patient.name.family',
        min: 1,
        constraint: [{ key: 'kgw-test-1', severity: 'error', human: 'Family name is not all digits', expression: "matches('^[0-9]+$').not()" }],
      },
    ],
  },
};

const decisionExtension: StructureDefinition = {
  resourceType: 'StructureDefinition',
  url: DECISION_EXTENSION,
  name: 'TestDecisionCapacity',
  status: 'draft',
  kind: 'complex-type',
  abstract: false,
  context: [{ type: 'element', expression: 'Patient' }],
  type: 'Extension',
  baseDefinition: 'http://hl7.org/fhir/StructureDefinition/Extension',
  derivation: 'constraint',
  differential: {
    element: [
      { id: 'Extension.url', path: 'Extension.url', fixedUri: DECISION_EXTENSION },
      { id: 'Extension.value[x]', path: 'Extension.value[x]', min: 1, type: [{ code: 'boolean' }] },
    ],
  },
};

/** Constrains inside a BackboneElement: provision.type fixed to deny, provision.actor 1..*. */
const denyConsent: StructureDefinition = {
  resourceType: 'StructureDefinition',
  url: CONSENT_PROFILE,
  name: 'TestDenyConsent',
  status: 'draft',
  kind: 'resource',
  abstract: false,
  type: 'Consent',
  baseDefinition: 'http://hl7.org/fhir/StructureDefinition/Consent',
  derivation: 'constraint',
  differential: {
    element: [
      { id: 'Consent.provision', path: 'Consent.provision', min: 1 },
      { id: 'Consent.provision.type', path: 'Consent.provision.type', min: 1, fixedCode: 'deny' },
      { id: 'Consent.provision.actor', path: 'Consent.provision.actor', min: 1 },
    ],
  },
};

function errors(outcome: OperationOutcome): { code?: string; expression?: string; text?: string }[] {
  return (outcome.issue ?? [])
    .filter((i) => i.severity === 'error' || i.severity === 'fatal')
    .map((i) => ({ code: i.code, expression: i.expression?.[0], text: i.details?.text }));
}

const validPatient = {
  resourceType: 'Patient',
  identifier: [{ system: HETU, value: '131052-308T' }],
  name: [{ family: 'Virtanen', given: ['Aino'] }],
  gender: 'female',
  birthDate: '1952-10-13',
};

const validConsent = {
  resourceType: 'Consent',
  status: 'active',
  scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
  category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
  patient: { reference: 'Patient/p1' },
  policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'OPTOUT' }] },
  provision: { type: 'deny', actor: [{ role: { text: 'custodian' }, reference: { reference: 'Organization/o1' } }] },
};

const KIND_SYSTEM = 'https://kanta-gateway.example.org/fhir/CodeSystem/test-consent-kind';
const KIND_VALUE_SET = 'https://kanta-gateway.example.org/fhir/ValueSet/test-consent-kind';

/** Binds Consent.category (required) to a project value set over a project code system. */
const kindConsent: StructureDefinition = {
  ...denyConsent,
  url: 'https://kanta-gateway.example.org/fhir/StructureDefinition/test-kind-consent',
  name: 'TestKindConsent',
  differential: { element: [{ id: 'Consent.category', path: 'Consent.category', binding: { strength: 'required', valueSet: KIND_VALUE_SET } }] },
};

let r4: R4Definitions;
let validator: Validator;

beforeAll(() => {
  r4 = loadR4Definitions();
  validator = createValidator({
    profiles: [namedHetuPatient, hetuPatient, decisionExtension, denyConsent, kindConsent],
    valueSets: [{ resourceType: 'ValueSet', status: 'active', url: KIND_VALUE_SET, compose: { include: [{ system: KIND_SYSTEM }] } }],
    codeSystems: [{ resourceType: 'CodeSystem', status: 'active', content: 'complete', url: KIND_SYSTEM, concept: [{ code: 'prohibition' }, { code: 'informing' }] }],
    r4,
  });
});

describe('base R4 validation', () => {
  test('a valid Patient has no error issues and says so', () => {
    const outcome = validator.validate(validPatient);
    expect(isValid(outcome)).toBe(true);
    expect(outcome.issue).toEqual([
      { severity: 'information', code: 'informational', details: { text: 'Validation successful: no errors found' } },
    ]);
  });

  test('valid resources of several types pass', () => {
    const resources = [
      validConsent,
      { resourceType: 'Organization', identifier: [{ system: 'urn:oid:1.2.246.537.6.202.2008', value: '1.2.246.10.1234567.10.1' }], name: 'Testikunta' },
      { resourceType: 'Encounter', status: 'finished', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' }, subject: { reference: 'Patient/p1' } },
      { resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '29463-7' }] }, subject: { reference: 'Patient/p1' }, valueQuantity: { value: 72.5, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' } },
      { resourceType: 'DocumentReference', status: 'current', content: [{ attachment: { contentType: 'text/plain', data: 'SGVp' } }], subject: { reference: 'Patient/p1' } },
    ];
    for (const resource of resources) {
      expect(errors(validator.validate(resource)), resource.resourceType).toEqual([]);
    }
  });

  test('an unknown element is a structure error at its path', () => {
    expect(errors(validator.validate({ ...validPatient, nickname: 'Ainoliini' }))).toEqual([
      { code: 'structure', expression: 'Patient.nickname', text: 'Unknown element "nickname"' },
    ]);
  });

  test('a value of the wrong JSON type is a structure error at the failing element', () => {
    const outcome = validator.validate({ ...validPatient, identifier: [{ system: HETU, value: 131052 }] });
    expect(errors(outcome)).toContainEqual({
      code: 'structure',
      expression: 'Patient.identifier[0].value',
      text: 'Wrong data type: expected string, found number',
    });
  });

  test('an invalid date is a value error', () => {
    expect(errors(validator.validate({ ...validPatient, birthDate: '1952-13-10' }))).toEqual([
      { code: 'value', expression: 'Patient.birthDate', text: 'Invalid date value' },
    ]);
  });

  test('a missing mandatory element is a required error', () => {
    expect(errors(validator.validate({ resourceType: 'Observation', code: { text: 'paino' } }))).toEqual([
      { code: 'required', expression: 'Observation.status', text: 'Required element is missing' },
    ]);
  });

  test('a code outside a required binding is code-invalid and names the value set', () => {
    expect(errors(validator.validate({ ...validPatient, gender: 'nainen' }))).toEqual([
      {
        code: 'code-invalid',
        expression: 'Patient.gender',
        text: 'Code "nainen" is not in the required value set http://hl7.org/fhir/ValueSet/administrative-gender',
      },
    ]);
  });

  test('required bindings are checked inside backbone elements too', () => {
    const outcome = validator.validate({ ...validConsent, provision: { type: 'maybe' } });
    expect(errors(outcome)).toContainEqual({
      code: 'code-invalid',
      expression: 'Consent.provision.type',
      text: 'Code "maybe" is not in the required value set http://hl7.org/fhir/ValueSet/consent-provision-type',
    });
  });

  test('a violated R4 invariant is an invariant error', () => {
    const outcome = validator.validate({ ...validPatient, contact: [{ gender: 'male' }] });
    expect(errors(outcome)).toEqual([
      {
        code: 'invariant',
        expression: 'Patient.contact[0]',
        text: "Rule pat-1 not met: SHALL at least contain a contact's details or a reference to an organization",
      },
    ]);
  });

  test('the broken ppc-2 is replaced by a corrected rule: a privacy Consent needs a patient', () => {
    const { patient: _patient, ...withoutPatient } = validConsent;
    expect(errors(validator.validate(withoutPatient))).toEqual([
      { code: 'invariant', expression: 'Consent', text: 'Rule ppc-2 not met: IF Scope=privacy, there must be a patient' },
    ]);
  });

  test('a reference to the wrong resource type is rejected', () => {
    const outcome = validator.validate({ ...validPatient, managingOrganization: { reference: 'Practitioner/x' } });
    expect(errors(outcome)).toEqual([
      {
        code: 'structure',
        expression: 'Patient.managingOrganization.reference',
        text: 'A reference to Practitioner is not allowed here; allowed: Organization',
      },
    ]);
  });

  test('a body that is not a resource, or of an unknown type, is rejected', () => {
    expect(errors(validator.validate([validPatient]))[0].code).toBe('structure');
    expect(errors(validator.validate({ resourceType: 'Potilas' }))).toEqual([
      { code: 'not-supported', expression: 'resourceType', text: 'Unknown resource type "Potilas"' },
    ]);
  });
});

describe('HETU', () => {
  test('an invalid HETU check character in a HETU identifier is a value error', () => {
    const outcome = validator.validate({ ...validPatient, identifier: [{ system: HETU, value: '131052-308S' }] });
    expect(errors(outcome)).toEqual([
      {
        code: 'value',
        expression: 'Patient.identifier[0].value',
        text: 'Invalid Finnish personal identity code (henkilötunnus): wrong format, date, individual number or check character',
      },
    ]);
  });

  test('a HETU identifier anywhere in the resource is checked', () => {
    const outcome = validator.validate({
      ...validPatient,
      contact: [{ name: { family: 'Virtanen' }, organization: { identifier: { system: HETU, value: '010190-999Y' } } }],
    });
    expect(errors(outcome).map((e) => e.expression)).toEqual(['Patient.contact[0].organization.identifier.value']);
  });

  test('identifiers of other systems are not checked as HETU', () => {
    expect(isValid(validator.validate({ ...validPatient, identifier: [{ system: 'urn:oid:1.2.3', value: 'x' }] }))).toBe(true);
  });
});

describe('project profiles', () => {
  test('snapshots are generated from the differential onto the base', () => {
    const sd = validator.profiles().find((p) => p.url === PATIENT_PROFILE);
    const byId = new Map(sd?.snapshot?.element?.map((e) => [e.id, e]));
    expect(byId.get('Patient.identifier')).toMatchObject({ min: 1, max: '*' });
    expect(byId.get('Patient.identifier.system')).toMatchObject({ min: 1, max: '1', fixedUri: HETU });
    expect(byId.get('Patient.extension')?.slicing?.discriminator).toEqual([{ type: 'value', path: 'url' }]);
    expect(byId.get('Patient.extension:decisionCapacity.url')).toMatchObject({ fixedUri: DECISION_EXTENSION });
    expect(byId.get('Patient.gender')).toMatchObject({ min: 0, binding: { strength: 'required' } });
    expect(sd?.differential).toEqual(hetuPatient.differential);
  });

  test('hasProfile knows the project profiles only', () => {
    expect(validator.hasProfile(PATIENT_PROFILE)).toBe(true);
    expect(validator.hasProfile(`${PATIENT_PROFILE}|0.1.0`)).toBe(true);
    expect(validator.hasProfile('https://example.org/nope')).toBe(false);
  });

  test('a resource that meets its claimed profile is valid', () => {
    expect(errors(validator.validate({ ...validPatient, meta: { profile: [PATIENT_PROFILE] } }))).toEqual([]);
  });

  test('F2: a claimed profile is enforced: missing identifier is a required error', () => {
    const { identifier: _identifier, ...noIdentifier } = validPatient;
    expect(errors(validator.validate({ ...noIdentifier, meta: { profile: [PATIENT_PROFILE] } }))).toEqual([
      { code: 'required', expression: 'Patient.identifier', text: 'Required element is missing' },
    ]);
  });

  test('F2: a fixed system is enforced', () => {
    const outcome = validator.validate({ ...validPatient, meta: { profile: [PATIENT_PROFILE] }, identifier: [{ system: 'urn:oid:1.2.3', value: 'x' }] });
    expect(errors(outcome)).toEqual([
      { code: 'value', expression: 'Patient.identifier[0].system', text: 'Value does not match the value the profile requires' },
    ]);
  });

  test('the profile is not applied to resources that do not claim it', () => {
    const { identifier: _identifier, ...noIdentifier } = validPatient;
    expect(isValid(validator.validate(noIdentifier))).toBe(true);
  });

  test('profileUrl validates against a profile the resource does not claim', () => {
    const { identifier: _identifier, ...noIdentifier } = validPatient;
    expect(errors(validator.validate(noIdentifier, { profileUrl: PATIENT_PROFILE })).map((e) => e.code)).toEqual(['required']);
  });

  test('an unknown claimed profile is an error', () => {
    expect(errors(validator.validate({ ...validPatient, meta: { profile: ['https://example.org/StructureDefinition/other'] } }))).toEqual([
      {
        code: 'not-supported',
        expression: 'Patient.meta.profile[0]',
        text: 'Unknown profile https://example.org/StructureDefinition/other: the resource claims a profile this server does not know',
      },
    ]);
  });

  test('a profile of another resource type is an error', () => {
    const outcome = validator.validate({ ...validConsent, meta: { profile: [PATIENT_PROFILE] } });
    expect(errors(outcome).map((e) => e.code)).toEqual(['structure']);
  });

  test('constraints inside backbone elements are enforced', () => {
    const outcome = validator.validate({ ...validPatient, meta: { profile: [PATIENT_PROFILE] }, contact: [{ name: { family: 'Virtanen' } }] });
    expect(errors(outcome)).toEqual([{ code: 'required', expression: 'Patient.contact[0].relationship', text: 'Required element is missing' }]);
    const consent = validator.validate({ ...validConsent, meta: { profile: [CONSENT_PROFILE] }, provision: { type: 'permit' } });
    expect(errors(consent).map((e) => [e.code, e.expression]).sort()).toEqual([
      ['required', 'Consent.provision.actor'],
      ['value', 'Consent.provision.type'],
    ]);
    expect(errors(validator.validate({ ...validConsent, meta: { profile: [CONSENT_PROFILE] } }))).toEqual([]);
  });

  test('an extension slice and its definition are enforced', () => {
    const twice = validator.validate({
      ...validPatient,
      meta: { profile: [PATIENT_PROFILE] },
      extension: [
        { url: DECISION_EXTENSION, valueBoolean: true },
        { url: DECISION_EXTENSION, valueString: 'kyllä' },
      ],
    });
    expect(errors(twice)).toEqual([
      { code: 'structure', expression: 'Patient.extension', text: 'Wrong number of values for slice "decisionCapacity": expected 0..1, found 2' },
      { code: 'structure', expression: 'Patient.extension[1].valueString', text: `Extension ${DECISION_EXTENSION} must have a value of type boolean` },
    ]);
  });

  test('a profile deriving from another project profile inherits its rules and adds its own invariant', () => {
    const ok = { ...validPatient, meta: { profile: [CHILD_PROFILE] } };
    expect(errors(validator.validate(ok))).toEqual([]);
    const outcome = validator.validate({ ...ok, name: [{ family: '12345' }], identifier: [{ system: 'urn:oid:1.2.3', value: 'x' }] });
    expect(errors(outcome).map((e) => [e.code, e.expression]).sort()).toEqual([
      ['invariant', 'Patient.name[0].family'],
      ['value', 'Patient.identifier[0].system'],
    ]);
  });

  test('a required binding to a project value set is enforced through the profile', () => {
    const kind = (code: string) => ({
      ...validConsent,
      meta: { profile: ['https://kanta-gateway.example.org/fhir/StructureDefinition/test-kind-consent'] },
      category: [{ coding: [{ system: KIND_SYSTEM, code }] }],
    });
    expect(errors(validator.validate(kind('prohibition')))).toEqual([]);
    expect(errors(validator.validate(kind('permission')))).toEqual([
      { code: 'code-invalid', expression: 'Consent.category[0]', text: `Code "${KIND_SYSTEM}#permission" is not in the required value set ${KIND_VALUE_SET}` },
    ]);
  });

  test('a profile whose base is unknown fails at construction, naming it', () => {
    expect(() =>
      createValidator({ profiles: [{ ...hetuPatient, baseDefinition: 'https://example.org/unknown' }], r4 })
    ).toThrow(/unknown baseDefinition https:\/\/example.org\/unknown/);
  });
});

describe('languages', () => {
  test('F3: Accept-Language fi gives Finnish texts', () => {
    const outcome = validator.validate({ ...validPatient, gender: 'nainen' }, { language: pickLanguage('fi') });
    expect(errors(outcome)).toEqual([
      {
        code: 'code-invalid',
        expression: 'Patient.gender',
        text: 'Koodi "nainen" ei kuulu vaadittuun arvojoukkoon http://hl7.org/fhir/ValueSet/administrative-gender',
      },
    ]);
  });

  test('F3: Accept-Language sv;q=0.9, en;q=0.8 gives Swedish texts', () => {
    const outcome = validator.validate({ ...validPatient, identifier: [{ system: HETU, value: '131052-308S' }] }, { language: pickLanguage('sv;q=0.9, en;q=0.8') });
    expect(errors(outcome)[0].text).toBe('Ogiltig finsk personbeteckning: fel format, födelsedatum, individnummer eller kontrolltecken');
  });

  test('F3: medplum structure issues are translated too, keeping the technical detail', () => {
    const outcome = validator.validate({ ...validPatient, nickname: 'x' }, { language: 'fi' });
    expect(outcome.issue?.[0]).toMatchObject({
      severity: 'error',
      code: 'structure',
      details: { text: 'Tuntematon elementti "nickname"' },
      diagnostics: 'Invalid additional property "nickname"',
      expression: ['Patient.nickname'],
    });
  });
});
