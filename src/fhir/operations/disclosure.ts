// Patient/[id]/$disclosure: explains to the caller why a record of the patient is disclosed to them (D1-D8, C1-C5, P1, D11). https://hl7.org/fhir/R4/operations.html
import { allOk, badRequest, notFound, OperationOutcomeError, serverError } from '@medplum/core';
import type { OperationDefinition, Parameters, ParametersParameter } from '@medplum/fhirtypes';
import definitionJson from '../../../conformance/operations/Patient-disclosure.json' with { type: 'json' };
import type { OperationRoute } from '../operations.js';
import type { DisclosureExplanation, FhirHandler, FhirRequest } from '../types.js';

const definition = definitionJson as OperationDefinition;

const TypeName = /^[A-Z][A-Za-z]{1,63}$/;
const Id = /^[A-Za-z0-9\-.]{1,64}$/;
const Languages = ['fi', 'sv', 'en'] as const;

interface Target {
  resourceType: string;
  id?: string;
}

/** The `resource` parameter: GET query or POST Parameters (valueString, valueReference or valueUri). */
function targetOf(req: FhirRequest): Target {
  const fromQuery = req.query.resource ?? [];
  const body = req.body as Parameters | undefined;
  const fromBody =
    body?.resourceType === 'Parameters'
      ? (body.parameter ?? []).filter((p) => p.name === 'resource').map((p) => p.valueString ?? p.valueReference?.reference ?? p.valueUri)
      : [];
  if (req.method === 'POST' && body !== undefined && body !== null && (body as { resourceType?: string }).resourceType !== 'Parameters') {
    throw new OperationOutcomeError(badRequest('POST $disclosure takes a Parameters resource', 'resourceType'));
  }
  const values = [...fromQuery, ...fromBody].filter((v): v is string => typeof v === 'string' && v.length > 0);
  if (values.length !== 1) throw new OperationOutcomeError(badRequest("$disclosure needs exactly one 'resource' parameter (Type/id or Type)", 'resource'));
  const relative = values[0].startsWith(`${req.baseUrl}/`) ? values[0].slice(req.baseUrl.length + 1) : values[0];
  const [resourceType, id, ...rest] = relative.split('/');
  if (!TypeName.test(resourceType) || rest.length > 0 || (id !== undefined && !Id.test(id))) {
    throw new OperationOutcomeError(badRequest(`'resource' must be Type/id or Type, not '${values[0]}'`, 'resource'));
  }
  return id === undefined ? { resourceType } : { resourceType, id };
}

function toParameters(e: DisclosureExplanation, language: (typeof Languages)[number]): Parameters {
  const parameter: ParametersParameter[] = [{ name: 'decision', valueCode: e.decision }];
  for (const rule of e.rules) parameter.push({ name: 'rule', valueCode: rule });
  for (const p of e.provisions) {
    parameter.push({
      name: 'provision',
      part: [
        { name: 'consent', valueReference: { reference: p.consent } },
        { name: 'path', valueString: p.path },
        { name: 'type', valueCode: p.type },
      ],
    });
  }
  for (const lang of Languages) {
    parameter.push({ name: 'text', part: [{ name: 'language', valueCode: lang }, { name: 'value', valueString: e.text[lang] }] });
  }
  parameter.push({ name: 'message', valueString: e.text[language] });
  return { resourceType: 'Parameters', parameter };
}

/**
 * Reads the patient and the record through the guarded store first, so a withheld one answers exactly as a
 * missing one (404) and the refusal lands in this request's AuditEvent; only then asks for the explanation.
 */
const handler: FhirHandler = async (req, { store, ctx, services, explain }) => {
  if (!explain) throw new OperationOutcomeError(serverError(new Error('$disclosure needs the consent gate')));
  const patientId = req.params.id;
  const target = targetOf(req);
  if (target.resourceType !== 'Patient' && !services.patientCompartmentTypes().includes(target.resourceType)) {
    throw new OperationOutcomeError(badRequest(`${target.resourceType} is not a type of the Patient compartment served here`, 'resource'));
  }
  if (!(await store.read('Patient', patientId))) throw new OperationOutcomeError(notFound);
  if (target.id !== undefined) {
    if (target.resourceType === 'Patient') {
      if (target.id !== patientId) throw new OperationOutcomeError(badRequest(`Patient/${target.id} is not this patient`, 'resource'));
    } else {
      if (!(await store.read(target.resourceType, target.id))) throw new OperationOutcomeError(notFound);
      const inCompartment = await store.search({
        resourceType: target.resourceType,
        where: [
          { kind: 'param', code: '_id', values: [target.id] },
          { kind: 'compartment', compartment: 'Patient', id: patientId },
        ],
        sort: [],
        count: 1,
        offset: 0,
        total: 'none',
        include: [],
        revinclude: [],
      });
      // The caller may see the record, so saying it belongs to someone else reveals nothing withheld.
      if (inCompartment.resources.length === 0) {
        throw new OperationOutcomeError(badRequest(`${target.resourceType}/${target.id} is not in the compartment of Patient/${patientId}`, 'resource'));
      }
    }
  }
  const explanation = await explain(target);
  return { outcome: allOk, resource: toParameters(explanation, ctx.language) };
};

export const disclosureOperation: OperationRoute = {
  name: 'disclosure',
  definition,
  instanceLevel: ['Patient'],
  affectsState: false,
  scope: 'r',
  handler,
};
