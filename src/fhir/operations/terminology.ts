// Terminology operations over what the gateway serves: ValueSet/$expand, CodeSystem/$lookup, ValueSet/$validate-code, CodeSystem/$validate-code. https://hl7.org/fhir/R4/terminology-service.html
import { allOk, badRequest, notFound, OperationOutcomeError } from '@medplum/core';
import type { CodeSystem, Coding, OperationDefinition, OperationDefinitionParameter, Parameters, ValueSet } from '@medplum/fhirtypes';
import { randomUUID } from 'node:crypto';
import type { TerminologyService } from '../../terminology/terminology-service.js';
import type { OperationRoute } from '../operations.js';
import type { FhirHandler, FhirRequest, FhirServices, HandlerDeps } from '../types.js';
import { operationInput } from './operation-parameters.js';

const param = (name: string, use: 'in' | 'out', type: string, max = '1'): OperationDefinitionParameter => ({ name, use, min: 0, max, type: type as never });
function definition(id: string, code: string, resource: string, instance: boolean, parameter: OperationDefinitionParameter[]): OperationDefinition {
  return { resourceType: 'OperationDefinition', id, url: `http://hl7.org/fhir/OperationDefinition/${id}`, name: id.replace(/-/g, ''), status: 'active', kind: 'operation', code, resource: [resource as never], system: false, type: true, instance, parameter };
}

function terminologyOf(services: FhirServices): TerminologyService {
  if (!services.terminology) throw new OperationOutcomeError(badRequest('Terminology is not available on this server'));
  return services.terminology;
}

/** The ValueSet the request names: the instance, `url`, or a `valueSet` given in the body. */
async function targetValueSet(req: FhirRequest, { store, services }: HandlerDeps, url: string | undefined, given: ValueSet | undefined): Promise<ValueSet> {
  if (req.params.id) {
    const vs = await store.read('ValueSet', req.params.id);
    if (!vs) throw new OperationOutcomeError(notFound);
    return vs as ValueSet;
  }
  if (given) return given;
  if (!url) throw new OperationOutcomeError(badRequest('Name the value set with url (or give valueSet)', 'url'));
  const vs = terminologyOf(services).valueSet(url);
  if (!vs) throw new OperationOutcomeError({ ...notFound, issue: [{ ...notFound.issue![0], details: { text: `Value set ${url} is not known to this server` } }] });
  return vs;
}

const nonNegative = (name: string, v: string | undefined, dflt: number): number => {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v)) throw new OperationOutcomeError(badRequest(`${name} must be a non-negative integer`, name));
  return Number(v);
};

const expand: FhirHandler = async (req, deps) => {
  const input = operationInput(req, ['url', 'valueSet', 'filter', 'count', 'offset', 'valueSetVersion', 'displayLanguage']);
  const vs = await targetValueSet(req, deps, input.text('url'), input.resource('valueSet') as ValueSet | undefined);
  const filter = input.text('filter')?.toLowerCase();
  const all = terminologyOf(deps.services).expand(vs).filter((c) => !filter || c.code?.toLowerCase().includes(filter) || c.display?.toLowerCase().includes(filter));
  const offset = nonNegative('offset', input.text('offset'), 0);
  const count = Math.min(nonNegative('count', input.text('count'), deps.services.maxCount), deps.services.maxCount);
  const { compose: _compose, expansion: _old, text: _text, ...rest } = vs;
  const expanded: ValueSet = {
    ...rest,
    expansion: { identifier: `urn:uuid:${randomUUID()}`, timestamp: new Date().toISOString(), total: all.length, offset, contains: all.slice(offset, offset + count) },
  };
  return { outcome: allOk, resource: expanded };
};

function codingOf(input: ReturnType<typeof operationInput>): Coding[] {
  const code = input.text('code');
  const system = input.text('system');
  const coding = input.coding('coding');
  const cc = input.codeableConcept('codeableConcept');
  if (code) return [{ system, code, display: input.text('display') }];
  if (coding) return [coding];
  if (cc?.coding?.length) return cc.coding;
  throw new OperationOutcomeError(badRequest('Give code (with system), coding or codeableConcept', 'code'));
}

function validationResult(ok: boolean, message: string | undefined, display: string | undefined): Parameters {
  return {
    resourceType: 'Parameters',
    parameter: [{ name: 'result', valueBoolean: ok }, ...(message ? [{ name: 'message', valueString: message }] : []), ...(display ? [{ name: 'display', valueString: display }] : [])],
  };
}

const validateInValueSet: FhirHandler = async (req, deps) => {
  const input = operationInput(req, ['url', 'valueSet', 'code', 'system', 'display', 'coding', 'codeableConcept', 'valueSetVersion', 'systemVersion']);
  const vs = await targetValueSet(req, deps, input.text('url'), input.resource('valueSet') as ValueSet | undefined);
  const codings = codingOf(input);
  const members = terminologyOf(deps.services).expand(vs);
  const hit = codings.map((c) => members.find((m) => m.code === c.code && (!c.system || m.system === c.system))).find(Boolean);
  if (!hit) return { outcome: allOk, resource: validationResult(false, `${codings.map((c) => `${c.system ?? ''}#${c.code}`).join(', ')} is not in value set ${vs.url ?? vs.id}`, undefined) };
  const given = codings.find((c) => c.code === hit.code)?.display;
  const wrongDisplay = given && hit.display && given !== hit.display;
  return { outcome: allOk, resource: validationResult(!wrongDisplay, wrongDisplay ? `Display '${given}' is not '${hit.display}'` : undefined, hit.display) };
};

async function targetCodeSystem(req: FhirRequest, { store, services }: HandlerDeps, url: string | undefined): Promise<CodeSystem> {
  if (req.params.id) {
    const cs = await store.read('CodeSystem', req.params.id);
    if (!cs) throw new OperationOutcomeError(notFound);
    return cs as CodeSystem;
  }
  if (!url) throw new OperationOutcomeError(badRequest('Name the code system (system or url)', 'system'));
  const cs = terminologyOf(services).codeSystem(url);
  if (!cs) throw new OperationOutcomeError({ ...notFound, issue: [{ ...notFound.issue![0], details: { text: `Code system ${url} is not known to this server` } }] });
  return cs;
}

const lookup: FhirHandler = async (req, deps) => {
  const input = operationInput(req, ['code', 'system', 'version', 'coding', 'date', 'displayLanguage', 'property']);
  const coding = input.coding('coding') ?? { system: input.text('system'), code: input.text('code') };
  if (!coding.code) throw new OperationOutcomeError(badRequest('$lookup needs code and system (or coding)', 'code'));
  const cs = await targetCodeSystem(req, deps, coding.system);
  const found = cs.url ? terminologyOf(deps.services).lookup(cs.url, coding.code) : undefined;
  if (!found) throw new OperationOutcomeError({ ...notFound, issue: [{ ...notFound.issue![0], details: { text: `Code '${coding.code}' is not in ${cs.url}` } }] });
  const { concept } = found;
  const out: Parameters = {
    resourceType: 'Parameters',
    parameter: [
      { name: 'name', valueString: cs.name ?? cs.title ?? cs.url },
      ...(cs.version ? [{ name: 'version', valueString: cs.version }] : []),
      ...(concept.display ? [{ name: 'display', valueString: concept.display }] : []),
      ...(concept.definition ? [{ name: 'property', part: [{ name: 'code', valueCode: 'definition' }, { name: 'value', valueString: concept.definition }] }] : []),
      ...(concept.designation ?? []).map((d) => ({
        name: 'designation',
        part: [...(d.language ? [{ name: 'language', valueCode: d.language }] : []), ...(d.use ? [{ name: 'use', valueCoding: d.use }] : []), { name: 'value', valueString: d.value }],
      })),
    ],
  };
  return { outcome: allOk, resource: out };
};

const validateInCodeSystem: FhirHandler = async (req, deps) => {
  const input = operationInput(req, ['url', 'codeSystem', 'code', 'version', 'display', 'coding', 'codeableConcept', 'date', 'abstract', 'displayLanguage']);
  const codings = codingOf(input);
  const cs = await targetCodeSystem(req, deps, input.text('url') ?? codings[0].system);
  const concept = codings.map((c) => (cs.url ? terminologyOf(deps.services).lookup(cs.url, c.code!)?.concept : undefined)).find(Boolean);
  if (!concept) return { outcome: allOk, resource: validationResult(false, `${codings.map((c) => c.code).join(', ')} is not in code system ${cs.url}`, undefined) };
  const given = codings.find((c) => c.code === concept.code)?.display;
  const wrongDisplay = given && concept.display && given !== concept.display;
  return { outcome: allOk, resource: validationResult(!wrongDisplay, wrongDisplay ? `Display '${given}' is not '${concept.display}'` : undefined, concept.display) };
};

const codingIn = [param('code', 'in', 'code'), param('system', 'in', 'uri'), param('display', 'in', 'string'), param('coding', 'in', 'Coding'), param('codeableConcept', 'in', 'CodeableConcept')];
const validationOut = [param('result', 'out', 'boolean'), param('message', 'out', 'string'), param('display', 'out', 'string')];

export const terminologyOperations: OperationRoute[] = [
  {
    name: 'expand',
    definition: definition('ValueSet-expand', 'expand', 'ValueSet', true, [param('url', 'in', 'uri'), param('valueSet', 'in', 'ValueSet'), param('filter', 'in', 'string'), param('count', 'in', 'integer'), param('offset', 'in', 'integer'), param('return', 'out', 'ValueSet')]),
    typeLevel: ['ValueSet'],
    instanceLevel: ['ValueSet'],
    affectsState: false,
    scope: 'r',
    handler: expand,
  },
  {
    name: 'validate-code',
    definition: definition('ValueSet-validate-code', 'validate-code', 'ValueSet', true, [param('url', 'in', 'uri'), param('valueSet', 'in', 'ValueSet'), ...codingIn, ...validationOut]),
    typeLevel: ['ValueSet'],
    instanceLevel: ['ValueSet'],
    affectsState: false,
    scope: 'r',
    handler: validateInValueSet,
  },
  {
    name: 'lookup',
    definition: definition('CodeSystem-lookup', 'lookup', 'CodeSystem', false, [param('code', 'in', 'code'), param('system', 'in', 'uri'), param('coding', 'in', 'Coding'), param('name', 'out', 'string'), param('display', 'out', 'string'), { name: 'designation', use: 'out', min: 0, max: '*', part: [param('language', 'out', 'code'), param('use', 'out', 'Coding'), { ...param('value', 'out', 'string'), min: 1 }] }]),
    typeLevel: ['CodeSystem'],
    affectsState: false,
    scope: 'r',
    handler: lookup,
  },
  {
    name: 'validate-code',
    definition: definition('CodeSystem-validate-code', 'validate-code', 'CodeSystem', true, [param('url', 'in', 'uri'), ...codingIn.filter((p) => p.name !== 'system'), ...validationOut]),
    typeLevel: ['CodeSystem'],
    instanceLevel: ['CodeSystem'],
    affectsState: false,
    scope: 'r',
    handler: validateInCodeSystem,
  },
];
