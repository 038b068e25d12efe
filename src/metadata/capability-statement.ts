// Builds the CapabilityStatement from what is registered: types, interactions, search parameters, operations, profiles. https://hl7.org/fhir/R4/capabilitystatement.html
import type {
  CapabilityStatement,
  CapabilityStatementRestResource,
  CapabilityStatementRestResourceSearchParam,
  SearchParameter,
} from '@medplum/fhirtypes';
import { callersDocumentation, type OperationRegistry, type OperationRoute } from '../fhir/operations.js';
import { SearchableCompartments, SystemInteractions, type ResourceTypeRegistry } from '../fhir/resource-types.js';
import { Interaction, type InteractionCode } from '../fhir/types.js';
import { EntryMethods } from '../fhir/interactions/bundle.js';

export interface CapabilityInputs {
  baseUrl: string;
  version: string;
  types: ResourceTypeRegistry;
  searchParams(resourceType: string): SearchParameter[];
  operations: OperationRegistry;
  /** Project profiles (StructureDefinition url and type) the server validates against. */
  profiles: Array<{ url: string; type: string }>;
  /** True when CORS is configured for some origin (declared as rest.security.cors). */
  cors?: boolean;
  /** SMART endpoints, when tokens are required. */
  smart?: { authorizeUrl?: string; tokenUrl?: string };
  /** Sorting and paging are the same for every type. */
  searchInclude(resourceType: string): string[];
  searchRevInclude(resourceType: string): string[];
}

const BundleInteractions: readonly InteractionCode[] = [Interaction.Transaction, Interaction.Batch];
/** What a batch or transaction entry may ask, from the Bundle handler's own list. */
const entryDocumentation = `Entries: ${EntryMethods.join(', ')}. A PATCH entry carries a FHIRPath Patch Parameters resource, or a JSON Patch as a Binary (contentType application/json-patch+json, base64 data); request.ifMatch is honoured.`;

const TypeLevel: readonly InteractionCode[] = [
  Interaction.Read,
  Interaction.Vread,
  Interaction.Update,
  Interaction.Patch,
  Interaction.Delete,
  Interaction.HistoryInstance,
  Interaction.HistoryType,
  Interaction.Create,
  Interaction.SearchType,
];

/** An operation as the CapabilityStatement lists it; a reserved one says for whom, as its scope letter promises it to more. */
function operationEntry(o: OperationRoute): { name: string; definition: string; documentation?: string } {
  const documentation = callersDocumentation(o);
  return { name: o.name, definition: o.definition.url!, ...(documentation ? { documentation } : undefined) };
}

export function buildCapabilityStatement(c: CapabilityInputs): CapabilityStatement {
  const resources: CapabilityStatementRestResource[] = c.types.types().map((type) => {
    const interactions = c.types.interactions(type).filter((i) => TypeLevel.includes(i));
    const params: CapabilityStatementRestResourceSearchParam[] = interactions.includes(Interaction.SearchType)
      ? c
          .searchParams(type)
          .map((sp) => ({ name: sp.code!, definition: sp.url, type: sp.type!, documentation: sp.description }))
          .sort((a, b) => a.name.localeCompare(b.name))
      : [];
    const ops = c.operations
      .all()
      .filter((o) => (o.typeLevel === '*' || o.typeLevel?.includes(type) || o.instanceLevel === '*' || o.instanceLevel?.includes(type)))
      .map(operationEntry);
    const supportedProfile = c.profiles.filter((p) => p.type === type).map((p) => p.url);
    return {
      type: type as CapabilityStatementRestResource['type'],
      profile: `http://hl7.org/fhir/StructureDefinition/${type}`,
      ...(supportedProfile.length ? { supportedProfile } : undefined),
      interaction: interactions.map((code) => ({ code: code as 'read' })),
      versioning: 'versioned-update',
      readHistory: true,
      // Update-as-create keeps client ids for the archive operator's migrations only; others get 404 for an unknown id.
      updateCreate: interactions.includes(Interaction.Update),
      conditionalCreate: interactions.includes(Interaction.Create),
      conditionalRead: interactions.includes(Interaction.Read) ? 'full-support' : 'not-supported',
      conditionalUpdate: interactions.includes(Interaction.Update),
      conditionalDelete: interactions.includes(Interaction.Delete) ? 'single' : 'not-supported',
      referencePolicy: ['literal', 'local'],
      ...(interactions.includes(Interaction.SearchType)
        ? { searchInclude: c.searchInclude(type), searchRevInclude: c.searchRevInclude(type), searchParam: params }
        : undefined),
      ...(ops.length ? { operation: ops } : undefined),
    };
  });
  const systemOps = c.operations.all().filter((o) => o.systemLevel).map(operationEntry);
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: new Date().toISOString().slice(0, 10),
    publisher: 'Kanta FHIR Gateway',
    kind: 'instance',
    software: { name: 'Kanta FHIR Gateway', version: c.version },
    implementation: { description: 'Kanta FHIR Gateway', url: c.baseUrl },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    ...(c.types.types().some((t) => c.types.supports(t, Interaction.Patch)) ? { patchFormat: ['application/json-patch+json', 'application/fhir+json'] } : undefined),
    rest: [
      {
        mode: 'server',
        ...(c.smart
          ? {
              security: {
                cors: c.cors === true,
                service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }] }],
                ...(c.smart.tokenUrl
                  ? {
                      extension: [
                        {
                          url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
                          extension: [
                            ...(c.smart.authorizeUrl ? [{ url: 'authorize', valueUri: c.smart.authorizeUrl }] : []),
                            { url: 'token', valueUri: c.smart.tokenUrl },
                          ],
                        },
                      ],
                    }
                  : undefined),
              },
            }
          : undefined),
        resource: resources,
        interaction: SystemInteractions.map((code) => ({ code: code as 'transaction', ...(BundleInteractions.includes(code) ? { documentation: entryDocumentation } : undefined) })),
        compartment: [...SearchableCompartments],
        ...(systemOps.length ? { operation: systemOps } : undefined),
      },
    ],
  };
}
