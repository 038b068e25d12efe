// Reads what a CapabilityStatement declares: types, interactions, search parameters, operations. https://hl7.org/fhir/R4/capabilitystatement.html
import type { CapabilityStatement, CapabilityStatementRest, CapabilityStatementRestResource } from '@medplum/fhirtypes';

/** Every type-level and instance-level interaction FHIR R4 defines. */
export const TypeInteractions = ['read', 'vread', 'update', 'patch', 'delete', 'history-instance', 'history-type', 'create', 'search-type'] as const;
export type TypeInteraction = (typeof TypeInteractions)[number];

export interface DeclaredOperation {
  name: string;
  definition: string;
  /** Resource type it is declared on; undefined for system level. */
  resourceType?: string;
}

export interface Capabilities {
  statement: CapabilityStatement;
  rest: CapabilityStatementRest;
  types(): string[];
  resource(type: string): CapabilityStatementRestResource | undefined;
  declares(type: string, interaction: TypeInteraction): boolean;
  declaresSystem(interaction: 'transaction' | 'batch' | 'history-system' | 'search-system'): boolean;
  operations(): DeclaredOperation[];
  /** Formats the server claims besides JSON (xml, turtle). */
  servesXml(): boolean;
}

export function readCapabilities(statement: CapabilityStatement): Capabilities {
  const rest = statement.rest?.find((r) => r.mode === 'server') ?? statement.rest?.[0] ?? { mode: 'server' };
  const resources = rest.resource ?? [];
  const resource = (type: string) => resources.find((r) => r.type === type);
  return {
    statement,
    rest,
    types: () => resources.map((r) => r.type as string),
    resource,
    declares: (type, interaction) => !!resource(type)?.interaction?.some((i) => i.code === interaction),
    declaresSystem: (interaction) => !!rest.interaction?.some((i) => i.code === interaction),
    operations: () => [
      ...resources.flatMap((r) => (r.operation ?? []).map((o) => ({ name: o.name, definition: o.definition, resourceType: r.type as string }))),
      ...(rest.operation ?? []).map((o) => ({ name: o.name, definition: o.definition })),
    ],
    servesXml: () => (statement.format ?? []).some((f) => /xml/i.test(f)),
  };
}
