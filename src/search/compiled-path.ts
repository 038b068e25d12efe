// Search-parameter expressions that are plain paths (`Patient.name.given | Patient.alias`) evaluated by direct property access. https://hl7.org/fhirpath/N1/#path-selection
import { DotAtom, FhirPathAtom, SymbolAtom, UnionAtom, evalFhirPathTyped, getTypedPropertyValue, isResource, removeDuplicates, type TypedValue } from '@medplum/core';
import type { ResourceType } from '@medplum/fhirtypes';

/** Evaluates a parsed search-parameter expression on one typed resource, with the results evalFhirPathTyped would give. */
export type PathEvaluator = (input: TypedValue) => TypedValue[];

type Step = (input: TypedValue[]) => TypedValue[];

/** One path segment, exactly as @medplum/core's SymbolAtom evaluates it: a resource type names the resource itself. */
function symbolStep(name: string): Step {
  return (input) => {
    const out: TypedValue[] = [];
    for (const e of input) {
      const v = e.value;
      if (!v || typeof v !== 'object') continue;
      const found = isResource(v, name as ResourceType) ? e : getTypedPropertyValue(e, name);
      if (Array.isArray(found)) {
        for (const f of found) if (f?.value !== undefined) out.push(f);
      } else if (found?.value !== undefined) out.push(found);
    }
    return out;
  };
}

/** Paths and unions of paths only; anything else (where(), as, resolve(), variables) is left to the interpreter. */
function compileAtom(atom: unknown): Step | undefined {
  if (atom instanceof SymbolAtom) {
    return atom.name === '$this' || atom.name.startsWith('%') ? undefined : symbolStep(atom.name);
  }
  if (atom instanceof DotAtom) {
    const left = compileAtom(atom.left);
    const right = compileAtom(atom.right);
    return left && right ? (input) => right(left(input)) : undefined;
  }
  if (atom instanceof UnionAtom) {
    const left = compileAtom(atom.left);
    const right = compileAtom(atom.right);
    return left && right ? (input) => removeDuplicates([...left(input), ...right(input)]) : undefined;
  }
  return undefined;
}

/**
 * The expression as direct property access when it is made of paths and unions only, else undefined. The results are
 * those of `evalFhirPathTyped(atom, [input])` (src/search/compiled-path.test.ts compares both on the generated
 * population); indexing runs every parameter of every written resource, and the interpreter costs several times more.
 */
export function compilePath(atom: FhirPathAtom): PathEvaluator | undefined {
  const step = compileAtom(atom.child);
  if (!step) return undefined;
  return (input) => step([input]).map((v) => ({ type: v.type, value: v.value?.valueOf() }));
}

/** The compiled evaluator when there is one, else medplum's interpreter (the same answers, more slowly). */
export function pathEvaluator(atom: FhirPathAtom): PathEvaluator {
  return compilePath(atom) ?? ((input) => evalFhirPathTyped(atom, [input]));
}
