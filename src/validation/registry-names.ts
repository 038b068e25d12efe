// The names under which a validator registers its profiles' types in @medplum/core's type registry, and the names a client sees instead. https://hl7.org/fhir/R4/profiling.html
import { randomUUID } from 'node:crypto';

/** Unique per validator, so two validators (tests, reloads, a worker) never overwrite each other's registered profiles. */
export function newRegistryInstance(): string {
  return `Kgw${randomUUID().replaceAll('-', '').slice(0, 12)}`;
}

/** The prefix a profile's types get: the validator's instance and the profile's number (validator.ts). */
export const profilePrefix = (instance: string, profileNumber: number): string => `${instance}p${profileNumber}`;

const RegistryPrefix = /^Kgw[0-9a-f]{12}p\d+/;

/** The type name a client may see: a profile's backbone types carry the registry prefix, which names nothing the client knows. */
export function publicTypeName(type: string): string {
  return type.replace(RegistryPrefix, '');
}
