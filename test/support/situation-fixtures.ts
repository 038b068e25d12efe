// Builders and callers for the issue-11 situation tests (test/http/disclosure-situations-*.test.ts): units under their holder, records linked to a visit, raw-claim tokens.
import type { Bundle, OperationOutcome, Resource } from '@medplum/fhirtypes';
import request from 'supertest';
import { expect } from 'vitest';
import { LocalExtension, LocalSystem, LocalSystemMore, Oid, OidMore, TaskKindCode } from '../../src/kanta/codes.js';
import { dispense, type Marks, meta, prescription } from '../consent/world.js';
import type { SeededWorld } from './consent-fixtures.js';
import type { TestGateway } from './test-gateway.js';

/** A register holder (Organization named by its OID) with a region and custodian type. */
export function holder(oid: string, opts: { region?: string; public?: boolean } = {}): Resource {
  return {
    resourceType: 'Organization',
    id: oid,
    identifier: [{ system: Oid.SoteOrganisationRegister, value: `urn:oid:${oid}` }],
    type: [{ coding: [{ system: OidMore.CustodianTypeCode, code: opts.public === false ? '2' : '1' }] }],
    ...(opts.region ? { extension: [{ url: LocalExtension.Region, valueCoding: { system: LocalSystem.Region, code: opts.region } }] } : {}),
  } as Resource;
}

/** A service unit of `parent` (partOf names the register holder, as the organisation registry does), with its päävastuullinen flags. */
export function unitOf(oid: string, parent: string, flags: { social?: boolean; health?: boolean } = {}): Resource {
  const extension = [];
  if (flags.social !== undefined) extension.push({ url: LocalExtension.MainResponsibleUnitSocial, valueBoolean: flags.social });
  if (flags.health !== undefined) extension.push({ url: LocalExtension.MainResponsibleUnitHealth, valueBoolean: flags.health });
  return {
    resourceType: 'Organization',
    id: oid,
    identifier: [{ system: Oid.SoteOrganisationRegister, value: `urn:oid:${oid}` }],
    partOf: { reference: `Organization/${parent}` },
    ...(extension.length ? { extension } : {}),
  } as Resource;
}

const at = (day: string): string => `${day}T12:00:00Z`;

/** A prescription written on a visit (MedicationRequest.encounter), optionally naming the prescribing organisation. */
export function prescriptionOn(id: string, p: string, m: Marks, day: string, opts: { encounter?: string; performer?: string } = {}): Resource {
  return {
    ...prescription(id, p, m, day),
    ...(opts.encounter ? { encounter: { reference: opts.encounter } } : {}),
    ...(opts.performer ? { performer: { reference: opts.performer } } : {}),
  } as Resource;
}

export { dispense };

/** A prescription renewal request (Task focused on the prescription), as OmaKanta writes it. */
export function renewalTask(id: string, p: string, m: Marks, day: string, rx: string): Resource {
  return {
    resourceType: 'Task',
    id,
    meta: meta(m),
    status: 'requested',
    intent: 'order',
    code: { coding: [{ system: LocalSystemMore.TaskKind, code: TaskKindCode.PrescriptionRenewal }] },
    focus: { reference: `MedicationRequest/${rx}` },
    for: { reference: `Patient/${p}` },
    requester: { reference: `Patient/${p}` },
    authoredOn: at(day),
  } as Resource;
}

/** A care measurement (laboratory result) in a health register, recorded on a visit. */
export function labResult(id: string, p: string, m: Marks, day: string, enc?: string): Resource {
  return {
    resourceType: 'Observation',
    id,
    meta: meta(m),
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }],
    code: { coding: [{ system: 'http://loinc.org', code: '718-7' }], text: 'Hemoglobiini' },
    subject: { reference: `Patient/${p}` },
    ...(enc ? { encounter: { reference: enc } } : {}),
    effectiveDateTime: at(day),
    valueQuantity: { value: 135, unit: 'g/L' },
  } as Resource;
}

/** Calls the gateway with a token of exactly these claims (no defaults added: scopes, roles, patient as given). */
export function rawCaller(gw: TestGateway, claims: Record<string, unknown>) {
  const auth = async () => `Bearer ${await gw.token(claims)}`;
  return {
    get: async (path: string, headers: Record<string, string> = {}) => {
      const r = request(gw.app).get(path).set('Authorization', await auth());
      for (const [k, v] of Object.entries(headers)) r.set(k, v);
      return r;
    },
    post: async (path: string, body: unknown) =>
      request(gw.app).post(path).set('Authorization', await auth()).set('Content-Type', 'application/fhir+json').send(body as object),
  };
}

/** `Type/localName` of every resource in a Bundle that belongs to the world (others shown as `Type/?id`). */
export function entriesOf(b: unknown, w: SeededWorld): string[] {
  return ((b as Bundle).entry ?? [])
    .filter((e) => e.resource)
    .map((e) => `${e.resource!.resourceType}/${w.name(e.resource!.resourceType, e.resource!.id!) ?? `?${e.resource!.id}`}`)
    .sort();
}

/** Every resourceType found anywhere in an answer: entries, nested Bundles of batch entries, contained resources. */
export function typesIn(body: unknown): string[] {
  const found = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.resourceType === 'string') found.add(o.resourceType);
      Object.values(o).forEach(walk);
    }
  };
  walk(body);
  return [...found].sort();
}

/** Asserts a refusal: the status, an OperationOutcome with an error issue, and a text that names `rule` (a rule ID or a claim). */
export function expectRefusal(res: request.Response, status: number | number[], rule: RegExp): void {
  const statuses = Array.isArray(status) ? status : [status];
  expect(statuses, `${res.status} ${JSON.stringify(res.body).slice(0, 600)}`).toContain(res.status);
  const oo = res.body as OperationOutcome;
  expect(oo.resourceType).toBe('OperationOutcome');
  expect(oo.issue?.[0]?.severity).toMatch(/error|fatal/);
  const text = (oo.issue ?? []).map((i) => `${i.details?.text ?? ''} ${i.diagnostics ?? ''}`).join(' | ');
  expect(text, JSON.stringify(oo).slice(0, 600)).toMatch(rule);
}

/** Asserts (softly: the test goes on and lists every leak) that an answer is 404 not-found (D11: withheld exactly as missing). */
export function expectWithheld(res: request.Response, what = "withheld"): void {
  expect.soft(res.status, `${what}: ${JSON.stringify(res.body).slice(0, 200)}`).toBe(404);
  if (res.status === 404) expect.soft((res.body as OperationOutcome).issue?.[0]?.code, what).toBe('not-found');
}
