// Snapshot generation: merges a differential StructureDefinition onto its base snapshot. https://hl7.org/fhir/R4/profiling.html#snapshot
import type { ElementDefinition, StructureDefinition } from '@medplum/fhirtypes';

/** Resolves a data type name (Identifier, Extension, ...) to its R4 StructureDefinition, used to expand children on demand. */
export type TypeDefinitionResolver = (typeCode: string) => StructureDefinition | undefined;

export interface SnapshotResult {
  /** The profile with `snapshot` filled in; `differential` is kept as written. */
  structureDefinition: StructureDefinition;
  /** Ids of the snapshot elements the differential created or changed (used to find what a generic validator misses). */
  changedIds: string[];
}

const EXTENSION_ELEMENTS = ['extension', 'modifierExtension'];

function lastSegment(path: string): string {
  return path.slice(path.lastIndexOf('.') + 1);
}

function elementId(element: ElementDefinition): string {
  return element.id ?? (element.sliceName ? `${element.path}:${element.sliceName}` : (element.path as string));
}

function upperFirst(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * Builds the snapshot of a `derivation: constraint` profile from `base` (which must have a snapshot).
 * Supports: min/max, fixed[x]/pattern[x], binding, type narrowing (incl. profile/targetProfile), mustSupport,
 * added constraints, slicing, slices (extension slices by url get a fixed `url` child), constraints on children of
 * complex types (expanded from the data type), and type-specific choice names (valueQuantity -> value[x]).
 * Throws with the offending element id when the differential names an element that the base cannot have.
 */
export function generateSnapshot(
  profile: StructureDefinition,
  base: StructureDefinition,
  typeDefinition: TypeDefinitionResolver
): SnapshotResult {
  const baseElements = base.snapshot?.element;
  if (!baseElements?.length) {
    throw new Error(`Base ${base.url} of profile ${profile.url} has no snapshot`);
  }
  const elements: ElementDefinition[] = structuredClone(baseElements);
  const changed = new Set<string>();
  /** Type-specific choice ids (Observation.valueQuantity) -> the snapshot's choice id (Observation.value[x]). */
  const choiceAliases = new Map<string, string>();

  const indexOfId = (id: string): number => elements.findIndex((e) => elementId(e) === id);

  function applyAliases(id: string): string {
    for (const [alias, target] of choiceAliases) {
      if (id === alias || id.startsWith(alias + '.') || id.startsWith(alias + ':')) {
        return target + id.slice(alias.length);
      }
    }
    return id;
  }

  function expandChildren(parentIndex: number): void {
    const parent = elements[parentIndex];
    const types = parent.type ?? [];
    if (types.length !== 1 || !types[0].code) {
      throw new Error(`Profile ${profile.url}: cannot constrain children of ${elementId(parent)} (it has ${types.length} types)`);
    }
    const typeSd = typeDefinition(types[0].code);
    const typeElements = typeSd?.snapshot?.element;
    if (!typeElements?.length) {
      throw new Error(`Profile ${profile.url}: unknown data type ${types[0].code} under ${elementId(parent)}`);
    }
    const rootPath = typeElements[0].path as string;
    const rootId = elementId(typeElements[0]);
    const parentId = elementId(parent);
    const children = typeElements.slice(1).map((child) => {
      const copy = structuredClone(child);
      copy.path = (parent.path as string) + (child.path as string).slice(rootPath.length);
      copy.id = parentId + elementId(child).slice(rootId.length);
      return copy;
    });
    elements.splice(parentIndex + 1, 0, ...children);
  }

  function insertSlice(baseIndex: number, id: string, sliceName: string): number {
    const sliced = elements[baseIndex];
    const slicedId = elementId(sliced);
    if (!sliced.slicing && EXTENSION_ELEMENTS.includes(lastSegment(sliced.path as string))) {
      sliced.slicing = { discriminator: [{ type: 'value', path: 'url' }], rules: 'open' };
      changed.add(slicedId);
    }
    let insertAt = baseIndex + 1;
    while (insertAt < elements.length) {
      const other = elementId(elements[insertAt]);
      if (!other.startsWith(slicedId + '.') && !other.startsWith(slicedId + ':')) {
        break;
      }
      insertAt++;
    }
    const slice = structuredClone(sliced);
    delete slice.slicing;
    slice.id = id;
    slice.sliceName = sliceName;
    elements.splice(insertAt, 0, slice);
    return insertAt;
  }

  function findChoice(parentId: string, name: string): { index: number; typeCode: string } | undefined {
    for (let k = 1; k < name.length; k++) {
      const prefix = name.slice(0, k);
      const index = indexOfId(`${parentId}.${prefix}[x]`);
      if (index >= 0) {
        const wanted = name.slice(k);
        const typeCode = elements[index].type?.find((t) => upperFirst(t.code ?? '') === wanted)?.code;
        if (typeCode) {
          return { index, typeCode };
        }
      }
    }
    return undefined;
  }

  /** Finds the snapshot element for a differential id, creating slices and expanding data-type children as needed. */
  function ensure(rawId: string): number {
    const id = applyAliases(rawId);
    const existing = indexOfId(id);
    if (existing >= 0) {
      return existing;
    }
    const dot = id.lastIndexOf('.');
    if (dot < 0) {
      throw new Error(`Profile ${profile.url}: element ${rawId} is not in the base ${base.url}`);
    }
    const parentId = id.slice(0, dot);
    const last = id.slice(dot + 1);
    const colon = last.indexOf(':');
    if (colon >= 0) {
      const slicedIndex = ensure(`${parentId}.${last.slice(0, colon)}`);
      return insertSlice(slicedIndex, id, last.slice(colon + 1));
    }
    const parentIndex = ensure(parentId);
    const choice = findChoice(elementId(elements[parentIndex]), last);
    if (choice) {
      choiceAliases.set(id, elementId(elements[choice.index]));
      const target = elements[choice.index];
      target.type = (target.type ?? []).filter((t) => t.code === choice.typeCode);
      changed.add(elementId(target));
      return choice.index;
    }
    const hasChildren = elements.some((e) => elementId(e).startsWith(elementId(elements[parentIndex]) + '.'));
    if (!hasChildren) {
      expandChildren(parentIndex);
      const created = indexOfId(id);
      if (created >= 0) {
        return created;
      }
    }
    throw new Error(`Profile ${profile.url}: element ${rawId} is not in the base ${base.url}`);
  }

  function merge(target: ElementDefinition, diff: ElementDefinition): void {
    for (const [key, value] of Object.entries(diff) as [keyof ElementDefinition, unknown][]) {
      if (key === 'id' || key === 'path' || value === undefined) {
        continue;
      }
      if (key === 'constraint') {
        const added = (value as NonNullable<ElementDefinition['constraint']>).map((c) => ({ source: profile.url, ...c }));
        target.constraint = [
          ...(target.constraint ?? []).filter((c) => !added.some((a) => a.key === c.key)),
          ...added,
        ];
        continue;
      }
      if (key.startsWith('fixed') || key.startsWith('pattern')) {
        for (const old of Object.keys(target)) {
          if (old.startsWith('fixed') || old.startsWith('pattern')) {
            delete (target as unknown as Record<string, unknown>)[old];
          }
        }
      }
      (target as unknown as Record<string, unknown>)[key] = structuredClone(value);
    }
  }

  for (const diff of profile.differential?.element ?? []) {
    const rawId = elementId(diff);
    if (rawId === elementId(elements[0])) {
      merge(elements[0], diff);
      changed.add(elementId(elements[0]));
      continue;
    }
    const index = ensure(rawId);
    const target = elements[index];
    merge(target, diff);
    changed.add(elementId(target));

    const extensionProfile = target.type?.[0]?.code === 'Extension' ? target.type[0].profile?.[0] : undefined;
    if (target.sliceName && extensionProfile && EXTENSION_ELEMENTS.includes(lastSegment(target.path as string))) {
      const urlElement = elements[ensure(`${elementId(target)}.url`)];
      if (!urlElement.fixedUri) {
        urlElement.fixedUri = extensionProfile;
        changed.add(elementId(urlElement));
      }
    }
  }

  const { snapshot: _ignored, ...rest } = profile;
  return {
    structureDefinition: { ...rest, snapshot: { element: elements } },
    changedIds: [...changed],
  };
}
