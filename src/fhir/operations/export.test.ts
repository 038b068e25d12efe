// Group/[id]/$export kick-off: members taken from the Group as the caller reads it, inactive ones left out, a bound on their number.
import { OperationOutcomeError } from '@medplum/core';
import type { Group } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import type { RequestContext } from '../../context.js';
import type { ResourceStore } from '../../store/resource-store.js';
import type { FhirRequest, FhirServices } from '../types.js';
import { groupExportOperation, MaxGroupMembers } from './export.js';

const ctx: RequestContext = { principal: { kind: 'system', subject: 'operator', scopes: ['system/*.rs'] }, requestId: 'r', now: new Date(), language: 'en' };
const request = (id: string): FhirRequest => ({ method: 'GET', path: `Group/${id}/$export`, params: { resourceType: 'Group', id }, query: {}, headers: { prefer: 'respond-async' }, baseUrl: 'http://x/fhir' });

function kickOff(group: Group | undefined) {
  const started: Array<{ patients?: string[]; types: string[] }> = [];
  const services = {
    patientCompartmentTypes: () => ['Patient', 'Encounter'],
    bulkExport: { types: () => ['Patient', 'Encounter', 'Organization'], start: (r: { patients?: string[]; types: string[] }) => (started.push(r), 'http://x/bulk-export/1') },
  } as unknown as FhirServices;
  const store = { read: async (type: string) => (type === 'Group' ? group : undefined) } as unknown as ResourceStore;
  return { started, run: () => groupExportOperation.handler(request(group?.id ?? 'g'), { ctx, services, store }) };
}

const member = (id: string, inactive?: boolean) => ({ entity: { reference: `Patient/${id}` }, ...(inactive ? { inactive } : {}) });

describe('Group/[id]/$export kick-off', () => {
  test('passes the active Patient members once each, and the Patient compartment types', async () => {
    const k = kickOff({ resourceType: 'Group', id: 'g', type: 'person', actual: true, member: [member('a'), member('b', true), member('a'), { entity: { reference: 'Practitioner/x' } }] });
    const res = await k.run();
    expect(res.contentLocation).toBe('http://x/bulk-export/1');
    expect(k.started).toEqual([expect.objectContaining({ patients: ['a'], types: ['Patient', 'Encounter'] })]);
  });

  test(`a Group of more than ${MaxGroupMembers} members is refused with 400 naming the bound, and no job starts`, async () => {
    const members = Array.from({ length: MaxGroupMembers + 1 }, (_, i) => member(`p${i}`));
    const k = kickOff({ resourceType: 'Group', id: 'big', type: 'person', actual: true, member: members });
    const err = await k.run().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OperationOutcomeError);
    expect((err as OperationOutcomeError).outcome.issue?.[0]?.details?.text).toMatch(new RegExp(`${MaxGroupMembers + 1} Patient members.*at most ${MaxGroupMembers}`));
    expect(k.started).toEqual([]);
  });
});
