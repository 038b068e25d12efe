// Checks every declared search parameter with real queries: its definition resolves, a sample matches its own value, a non-matching value excludes it. https://hl7.org/fhir/R4/search.html
import type { CapabilityStatementRestResourceSearchParam, SearchParameter } from '@medplum/fhirtypes';
import type { DefinitionResolver } from '../definitions.js';
import { expectBundle } from '../expectations.js';
import { matchIds, type KitContext } from '../kit-context.js';
import { assert, evaluateCheck, SkipCheck } from '../report.js';
import { matchingValue, nonMatchingValue } from '../search-values.js';

/** Unknown parameters must be refused rather than silently ignored, so a declared-but-unserved one shows. */
const Strict = { prefer: 'handling=strict' };
const Parallel = 4;

function q(name: string, value: string): string {
  return `${encodeURIComponent(name)}=${encodeURIComponent(value)}`;
}

async function checkParam(ctx: KitContext, defs: DefinitionResolver, type: string, declared: CapabilityStatementRestResourceSearchParam): Promise<string | void> {
  const { http } = ctx;
  assert(declared.definition, `searchParam ${declared.name} has no definition url`);
  const { resource: sp, from } = await defs.searchParameter(declared.definition);
  assert(sp, `definition ${declared.definition} resolves neither on the server (SearchParameter?url=) nor in the base specification`);
  assert(sp.code === declared.name, `definition ${declared.definition} has code '${sp.code}', declared as '${declared.name}'`);
  assert(sp.type === declared.type, `definition ${declared.definition} has type '${sp.type}', declared as '${declared.type}'`);
  const bases = (sp.base ?? []) as string[];
  assert(bases.some((b) => b === type || b === 'Resource' || b === 'DomainResource'), `definition ${declared.definition} is not for ${type} (base ${bases.join(',')})`);

  let sampleId: string | undefined;
  let value: string | undefined;
  for (const sample of await ctx.samples(type)) {
    value = matchingValue(sp as SearchParameter, sample);
    if (value) {
      sampleId = sample.id;
      break;
    }
  }
  const none = nonMatchingValue(sp as SearchParameter, ctx.runId, value);
  if (!none) {
    // Composite and special parameters: the kit proves only that the server accepts the parameter.
    throw new SkipCheck(`${sp.type} parameter: no generic query value (definition from ${from})`);
  }
  if (value && sampleId) {
    const hit = expectBundle(await http.get(`${type}?${q(declared.name, value)}&${q('_id', sampleId)}`, { headers: Strict }), 'searchset', `${declared.name}=${value}`);
    assert(matchIds(hit).includes(sampleId), `${type}?${declared.name}=${value} did not find ${type}/${sampleId}, which has that value`);
    const miss = expectBundle(await http.get(`${type}?${q(declared.name, none)}&${q('_id', sampleId)}`, { headers: Strict }), 'searchset', `${declared.name}=${none}`);
    assert(!matchIds(miss).includes(sampleId), `${type}?${declared.name}=${none} still found ${type}/${sampleId}: the parameter is ignored`);
    return `matched ${type}/${sampleId} by ${value}; excluded it by ${none}`;
  }
  const miss = expectBundle(await http.get(`${type}?${q(declared.name, none)}&_count=5`, { headers: Strict }), 'searchset', `${declared.name}=${none}`);
  assert(matchIds(miss).length === 0, `${type}?${declared.name}=${none} found resources`);
  // Accepting the parameter proves little: without a sample that has a value, matching is untested, so not a pass.
  throw new SkipCheck('accepted, but no sample resource has a value for it: matching is untested');
}

export async function checkSearchParameters(ctx: KitContext, defs: DefinitionResolver): Promise<void> {
  for (const type of ctx.caps.types()) {
    if (!ctx.caps.declares(type, 'search-type')) continue;
    // A few parameters at a time: each check is two independent queries, and a remote server answers them in parallel.
    const params = ctx.caps.resource(type)?.searchParam ?? [];
    for (let i = 0; i < params.length; i += Parallel) {
      const batch = params.slice(i, i + Parallel).map((declared) => evaluateCheck(`search/${type}/${declared.name}`, () => checkParam(ctx, defs, type, declared)));
      for (const result of await Promise.all(batch)) ctx.report.record(result);
    }
    await ctx.report.check(`search/${type}/(undeclared)`, async () => {
      const res = await ctx.http.get(`${type}?kit-undeclared-${ctx.runId}=x`, { headers: Strict });
      assert(res.status === 400 && res.body?.resourceType === 'OperationOutcome', `an undeclared parameter with Prefer: handling=strict answered ${res.status}, expected 400 with an OperationOutcome`);
    }, 'policy');
  }
}
