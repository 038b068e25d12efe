// Builds the ImplementationGuide-style index of what the gateway claims: every profile, code system, value set, concept map, search parameter and operation definition in profiles/, mappings/ and conformance/. https://hl7.org/fhir/R4/implementationguide.html
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { ImplementationGuide, ImplementationGuideDefinitionResource } from '@medplum/fhirtypes';

export const IndexedDirectories = ['profiles', 'mappings', 'conformance'] as const;
export const ImplementationGuideFile = 'conformance/ImplementationGuide-kanta-gateway.json';

/** The grouping of each indexed type, in the order the index lists them. */
const Groupings = {
  StructureDefinition: 'Profiles and extensions',
  CodeSystem: 'Code systems',
  ValueSet: 'Value sets',
  ConceptMap: 'Concept maps',
  SearchParameter: 'Search parameters',
  OperationDefinition: 'Operation definitions',
} as const;
type IndexedType = keyof typeof Groupings;

/** Instances, not definitions; the kit's own code is not JSON anyway. */
const Skipped = new Set(['examples', 'node_modules', 'kit']);

function jsonFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return [];
  }
  return names.flatMap((n) => {
    const full = join(dir, n);
    if (statSync(full).isDirectory()) return Skipped.has(n) ? [] : jsonFiles(full);
    return n.endsWith('.json') ? [full] : [];
  });
}

/** The id the server publishes a canonical resource under (see src/metadata/publish-conformance.ts). */
function servedId(r: { id?: string; url?: string }): string | undefined {
  return (r.id ?? r.url?.split('/').pop())?.replace(/[^A-Za-z0-9\-.]/g, '-').slice(0, 64);
}

export function buildImplementationGuide(root: string, version: string): ImplementationGuide {
  const resources: ImplementationGuideDefinitionResource[] = [];
  for (const dir of IndexedDirectories) {
    for (const file of jsonFiles(join(root, dir))) {
      if (relative(root, file) === ImplementationGuideFile) continue;
      const r = JSON.parse(readFileSync(file, 'utf8')) as { resourceType?: string; id?: string; url?: string; name?: string; title?: string };
      if (!r.resourceType || !(r.resourceType in Groupings) || !r.url) continue;
      resources.push({
        reference: { reference: `${r.resourceType}/${servedId(r)}` },
        name: r.title ?? r.name ?? r.url,
        description: `${r.url} (file ${relative(root, file)})`,
        exampleBoolean: false,
        groupingId: r.resourceType,
      });
    }
  }
  const order = Object.keys(Groupings);
  resources.sort((a, b) => order.indexOf(a.groupingId!) - order.indexOf(b.groupingId!) || a.reference.reference!.localeCompare(b.reference.reference!));
  return {
    resourceType: 'ImplementationGuide',
    id: 'kanta-gateway',
    url: 'https://kanta-gateway.example.org/fhir/ImplementationGuide/kanta-gateway',
    version,
    name: 'KantaGateway',
    title: 'Kanta FHIR Gateway: profiles, terminology, search parameters and operations',
    status: 'draft',
    publisher: 'Kanta FHIR Gateway',
    description: 'Index of the conformance resources the gateway serves (GET [base]/StructureDefinition?url=..., CodeSystem, ValueSet, ConceptMap, SearchParameter, OperationDefinition). Regenerate with `npx tsx conformance/kit/write-implementation-guide.ts`.',
    packageId: 'org.example.kanta-gateway',
    fhirVersion: ['4.0.1'],
    definition: {
      grouping: order.filter((t) => resources.some((r) => r.groupingId === t)).map((t) => ({ id: t, name: Groupings[t as IndexedType] })),
      resource: resources,
    },
  };
}
