// S1: SMART v2 (and v1) scopes limit resource types and interactions.
import { describe, expect, it } from 'vitest';
import { isAllowed, parseScope, scopeLetterFor, scopeRequirement } from '../../src/auth/smart-scopes.js';
import { Interaction, type InteractionCode } from '../../src/fhir/types.js';

const all: InteractionCode[] = [
  Interaction.Read,
  Interaction.Vread,
  Interaction.HistoryInstance,
  Interaction.HistoryType,
  Interaction.SearchType,
  Interaction.Create,
  Interaction.Update,
  Interaction.Patch,
  Interaction.Delete,
];

function allowedOn(scopes: string[], type: string | undefined): InteractionCode[] {
  return all.filter((i) => isAllowed(scopes, type, i));
}

describe('SMART scopes', () => {
  it.each([
    [['patient/Observation.rs'], 'Observation', ['read', 'vread', 'history-instance', 'history-type', 'search-type']],
    [['patient/Observation.r'], 'Observation', ['read', 'vread', 'history-instance', 'history-type']],
    [['patient/Observation.s'], 'Observation', ['search-type']],
    [['patient/Observation.c'], 'Observation', ['create']],
    [['patient/Observation.cu'], 'Observation', ['create', 'update', 'patch']],
    [['patient/Observation.d'], 'Observation', ['delete']],
    [['patient/Observation.cruds'], 'Observation', all],
    [['patient/Observation.cruds'], 'Encounter', []],
    [['user/*.rs'], 'Encounter', ['read', 'vread', 'history-instance', 'history-type', 'search-type']],
    [['system/*.cruds'], 'DocumentReference', all],
    [['patient/Observation.read'], 'Observation', ['read', 'vread', 'history-instance', 'history-type', 'search-type']],
    [['patient/Observation.write'], 'Observation', ['create', 'update', 'patch', 'delete']],
    [['user/*.*'], 'Consent', all],
    [['openid', 'fhirUser', 'launch/patient', 'offline_access'], 'Patient', []],
    [['patient/Observation.rs?category=vital-signs'], 'Observation', []],
    [['patient/Observation.sr'], 'Observation', []],
    [['patient/Observation.rr'], 'Observation', []],
    [['patient/Observation.x'], 'Observation', []],
  ] as Array<[string[], string, InteractionCode[]]>)('S1: scopes %j on %s allow exactly %j', (scopes, type, expected) => {
    expect(allowedOn(scopes, type)).toEqual(expected);
  });

  it('S1: system-level search and history need a wildcard scope', () => {
    expect(isAllowed(['user/Observation.rs'], undefined, Interaction.SearchSystem)).toBe(false);
    expect(isAllowed(['user/*.s'], undefined, Interaction.SearchSystem)).toBe(true);
    expect(isAllowed(['user/*.r'], undefined, Interaction.HistorySystem)).toBe(true);
  });

  it('S1: an operation is checked against the letter it declares, and refused when it declares none', () => {
    expect(isAllowed(['patient/Patient.r'], 'Patient', Interaction.Operation, 'r')).toBe(true);
    expect(isAllowed(['patient/Patient.r'], 'Patient', Interaction.Operation, 'c')).toBe(false);
    expect(isAllowed(['patient/*.cruds'], 'Patient', Interaction.Operation)).toBe(false);
  });

  it('capabilities, transaction and batch pass; their entries are checked one by one', () => {
    expect(isAllowed([], undefined, Interaction.Capabilities)).toBe(true);
    expect(isAllowed([], undefined, Interaction.Transaction)).toBe(true);
    expect(scopeLetterFor(Interaction.Batch)).toBeUndefined();
  });

  it('parses context, type, letters and a granular query', () => {
    const s = parseScope('patient/Observation.rs?category=laboratory');
    expect(s?.context).toBe('patient');
    expect(s?.resourceType).toBe('Observation');
    expect([...(s?.letters ?? [])]).toEqual(['r', 's']);
    expect(s?.query).toBe('category=laboratory');
  });

  it('names the scope a refused interaction would need', () => {
    expect(scopeRequirement('Observation', Interaction.Create)).toBe('Interaction create on Observation needs a scope such as patient/Observation.c');
  });
});
