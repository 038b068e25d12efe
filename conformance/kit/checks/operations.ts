// Checks every declared operation: its OperationDefinition resolves and agrees, and the server really routes it. https://hl7.org/fhir/R4/operations.html
import type { OperationDefinition } from '@medplum/fhirtypes';
import type { DeclaredOperation } from '../capability.js';
import type { DefinitionResolver } from '../definitions.js';
import { expectBundle, expectFhirJson, expectStatus } from '../expectations.js';
import type { FhirAnswer } from '../fhir-http.js';
import type { KitContext } from '../kit-context.js';
import { assert, SkipCheck } from '../report.js';

/** Operations the kit knows the meaning of, checked for their documented result. */
const Semantic: Record<string, (ctx: KitContext, op: DeclaredOperation) => Promise<string>> = {
  'http://hl7.org/fhir/OperationDefinition/Resource-validate': async (ctx, op) => {
    const type = op.resourceType!;
    const [sample] = await ctx.samples(type);
    if (!sample) throw new SkipCheck(`no ${type} to $validate`);
    const good = await ctx.http.request('POST', `${type}/$validate`, { body: { resourceType: 'Parameters', parameter: [{ name: 'resource', resource: sample }] } });
    expectStatus(good, 200, '$validate of a stored resource');
    assert(good.body?.resourceType === 'OperationOutcome', '$validate did not answer an OperationOutcome');
    assert(!(good.body.issue ?? []).some((i: { severity: string }) => i.severity === 'error'), `$validate finds errors in a resource the server itself returned: ${good.text.slice(0, 200)}`);
    const bad = await ctx.http.request('POST', `${type}/$validate`, { body: { ...sample, id: undefined, meta: undefined, kitNoSuchElement: true } });
    assert([200, 400, 422].includes(bad.status) && bad.body?.resourceType === 'OperationOutcome', `$validate of an invalid ${type} answered ${bad.status}`);
    assert((bad.body.issue ?? []).some((i: { severity: string }) => i.severity === 'error'), `$validate accepted a ${type} with an unknown element`);
    return 'valid resource passes, invalid one is reported';
  },
  'http://hl7.org/fhir/OperationDefinition/Patient-everything': async (ctx) => {
    const [patient] = await ctx.samples('Patient');
    if (!patient) throw new SkipCheck('no Patient for $everything');
    const bundle = expectBundle(await ctx.http.get(`Patient/${patient.id}/$everything`), 'searchset', '$everything');
    assert((bundle.entry ?? []).some((e) => e.resource?.resourceType === 'Patient' && e.resource.id === patient.id), '$everything does not hold the Patient');
    const own = [...ctx.created.values()].filter((r) => (r as { subject?: { reference?: string } }).subject?.reference === `Patient/${patient.id}`);
    const got = new Set((bundle.entry ?? []).map((e) => `${e.resource?.resourceType}/${e.resource?.id}`));
    const missing = own.filter((r) => !got.has(`${r.resourceType}/${r.id}`));
    assert(missing.length === 0, `$everything misses ${missing.map((r) => `${r.resourceType}/${r.id}`).join(', ')}`);
    return `${bundle.entry?.length ?? 0} resources`;
  },
};

/** A request for an operation the kit does not know: empty input must be routed and answered, not 404/405/5xx. */
async function invokeGeneric(ctx: KitContext, op: DeclaredOperation, def: OperationDefinition): Promise<string> {
  let path: string;
  if (!op.resourceType) path = `$${op.name}`;
  else if (def.type) path = `${op.resourceType}/$${op.name}`;
  else {
    const [sample] = await ctx.samples(op.resourceType);
    if (!sample) throw new SkipCheck(`no ${op.resourceType} instance to run $${op.name} on`);
    path = `${op.resourceType}/${sample.id}/$${op.name}`;
  }
  const res: FhirAnswer = await ctx.http.request('POST', path, { body: { resourceType: 'Parameters' } });
  assert(res.status !== 404 && res.status !== 405 && res.status !== 501 && res.status < 500, `POST ${path} with empty Parameters answered ${res.status}: the operation is not served (${res.text.slice(0, 200)})`);
  expectFhirJson(res, `POST ${path}`);
  if (res.status >= 400) assert(res.body.resourceType === 'OperationOutcome', `POST ${path} refused without an OperationOutcome`);
  return `routed (empty input answered ${res.status})`;
}

async function checkOperation(ctx: KitContext, defs: DefinitionResolver, op: DeclaredOperation): Promise<string> {
  const { resource: def, from } = await defs.operationDefinition(op.definition);
  assert(def, `OperationDefinition ${op.definition} resolves neither on the server (OperationDefinition?url=) nor in the base specification`);
  assert(def.code === op.name, `OperationDefinition ${op.definition} has code '${def.code}', declared as '${op.name}'`);
  if (op.resourceType) {
    const types = (def.resource ?? []) as string[];
    assert(types.includes(op.resourceType) || types.includes('Resource'), `OperationDefinition ${op.definition} is not for ${op.resourceType} (resource ${types.join(',')})`);
    assert(def.type || def.instance, `OperationDefinition ${op.definition} is declared on ${op.resourceType} but is neither type nor instance level`);
  } else {
    assert(def.system, `OperationDefinition ${op.definition} is declared at system level but has system=false`);
  }
  const semantic = Semantic[op.definition];
  const note = semantic ? await semantic(ctx, op) : await invokeGeneric(ctx, op, def);
  return `${note} (definition from ${from === 'server' ? 'the server' : 'the base specification'})`;
}

export async function checkOperations(ctx: KitContext, defs: DefinitionResolver): Promise<void> {
  for (const op of ctx.caps.operations()) {
    await ctx.report.check(`operation/${op.resourceType ?? 'system'}/$${op.name}`, () => checkOperation(ctx, defs, op));
  }
  await ctx.report.check('operation/(undeclared)', async () => {
    const res = await ctx.http.request('POST', `$kit-undeclared-${ctx.runId}`, { body: { resourceType: 'Parameters' } });
    assert(res.status === 404 || res.status === 400 || res.status === 405, `an undeclared operation answered ${res.status}`);
    expectFhirJson(res, 'undeclared operation');
  });
}

