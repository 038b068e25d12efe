// In-memory $validate-code for required bindings: simple ValueSet expansion over known CodeSystems. https://hl7.org/fhir/R4/valueset.html#expansion
import type { CodeSystem, CodeSystemConcept, ValueSet, ValueSetComposeInclude } from '@medplum/fhirtypes';

/** 'unknown' means the value set cannot be expanded here (filters, external terminologies): the caller must not fail the code. */
export type CodeValidation = 'valid' | 'invalid' | 'unknown';

export interface Terminology {
  validateCode(valueSetUrl: string, system: string | undefined, code: string): CodeValidation;
}

/** system -> codes */
type Expansion = Map<string, Set<string>>;

function stripVersion(url: string): string {
  const bar = url.indexOf('|');
  return bar < 0 ? url : url.slice(0, bar);
}

function collectConcepts(concepts: CodeSystemConcept[] | undefined, into: Set<string>): void {
  for (const concept of concepts ?? []) {
    if (concept.code) {
      into.add(concept.code);
    }
    collectConcepts(concept.concept, into);
  }
}

function addAll(target: Expansion, source: Expansion): void {
  for (const [system, codes] of source) {
    const existing = target.get(system) ?? new Set<string>();
    for (const code of codes) {
      existing.add(code);
    }
    target.set(system, existing);
  }
}

/**
 * Later entries win, so project value sets and code systems (given last) override the R4 ones.
 * Expansions are computed on first use and kept for the life of this terminology instance.
 */
export function createTerminology(valueSets: ValueSet[], codeSystems: CodeSystem[]): Terminology {
  const valueSetByUrl = new Map<string, ValueSet>();
  for (const vs of valueSets) {
    if (vs.url) {
      valueSetByUrl.set(vs.url, vs);
    }
  }
  const codeSystemByUrl = new Map<string, CodeSystem>();
  for (const cs of codeSystems) {
    if (cs.url) {
      codeSystemByUrl.set(cs.url, cs);
    }
  }
  const expansions = new Map<string, Expansion | undefined>();
  const allCodesOf = new Map<string, Set<string> | undefined>();

  function codeSystemCodes(system: string): Set<string> | undefined {
    if (allCodesOf.has(system)) {
      return allCodesOf.get(system);
    }
    const cs = codeSystemByUrl.get(system);
    let codes: Set<string> | undefined;
    if (cs && cs.content === 'complete' && cs.concept?.length) {
      codes = new Set();
      collectConcepts(cs.concept, codes);
    }
    allCodesOf.set(system, codes);
    return codes;
  }

  function expandInclude(include: ValueSetComposeInclude, visiting: Set<string>): Expansion | undefined {
    if (include.filter?.length) {
      return undefined;
    }
    let result: Expansion | undefined;
    if (include.system) {
      let codes: Set<string> | undefined;
      if (include.concept?.length) {
        codes = new Set(include.concept.map((c) => c.code).filter((c): c is string => !!c));
      } else {
        codes = codeSystemCodes(include.system);
      }
      if (!codes) {
        return undefined;
      }
      result = new Map([[include.system, codes]]);
    }
    for (const vsUrl of include.valueSet ?? []) {
      const nested = expand(vsUrl, visiting);
      if (!nested) {
        return undefined;
      }
      if (result) {
        // system + valueSet in one include means the intersection
        const intersected: Expansion = new Map();
        for (const [system, codes] of result) {
          const other = nested.get(system);
          intersected.set(system, new Set([...codes].filter((c) => other?.has(c))));
        }
        result = intersected;
      } else {
        result = new Map();
        addAll(result, nested);
      }
    }
    return result;
  }

  function expand(rawUrl: string, visiting: Set<string> = new Set()): Expansion | undefined {
    const url = stripVersion(rawUrl);
    if (expansions.has(url)) {
      return expansions.get(url);
    }
    if (visiting.has(url)) {
      return undefined;
    }
    visiting.add(url);
    const vs = valueSetByUrl.get(url);
    let result: Expansion | undefined;
    if (vs?.expansion?.contains?.length && !vs.compose) {
      result = new Map();
      const walk = (items: NonNullable<NonNullable<ValueSet['expansion']>['contains']>): void => {
        for (const item of items) {
          if (item.system && item.code) {
            const codes = result!.get(item.system) ?? new Set<string>();
            codes.add(item.code);
            result!.set(item.system, codes);
          }
          walk(item.contains ?? []);
        }
      };
      walk(vs.expansion.contains);
    } else if (vs?.compose?.include?.length) {
      result = new Map();
      for (const include of vs.compose.include) {
        const part = expandInclude(include, visiting);
        if (!part) {
          result = undefined;
          break;
        }
        addAll(result, part);
      }
      if (result) {
        for (const exclude of vs.compose.exclude ?? []) {
          // Only explicit concept lists are subtracted; other excludes leave the expansion larger (permissive).
          if (exclude.system && exclude.concept?.length) {
            const codes = result.get(exclude.system);
            for (const c of exclude.concept) {
              codes?.delete(c.code as string);
            }
          }
        }
      }
    }
    visiting.delete(url);
    expansions.set(url, result);
    return result;
  }

  return {
    validateCode(valueSetUrl, system, code) {
      const expansion = expand(valueSetUrl);
      if (!expansion) {
        return 'unknown';
      }
      if (system !== undefined) {
        return expansion.get(system)?.has(code) ? 'valid' : 'invalid';
      }
      for (const codes of expansion.values()) {
        if (codes.has(code)) {
          return 'valid';
        }
      }
      return 'invalid';
    },
  };
}
