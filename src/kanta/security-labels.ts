// meta.security codings that carry a record's register holder, register kind, origin and document marks (see codes.ts). https://hl7.org/fhir/R4/security-labels.html
import type { Coding } from '@medplum/fhirtypes';
import { LocalSystem, type RegisterKindCode } from './codes.js';

export type DocumentMarkCode = 'other-person' | 'special-content' | 'local-main-view' | 'professional-delay';

export interface RecordRegister {
  /** Bare OID of the register holder (rekisterinpitäjä). */
  registerHolder: string;
  registerKind: RegisterKindCode;
  /** D10: 'kanta' (default) or 'local'. */
  origin?: 'kanta' | 'local';
}

export function recordSecurity(register: RecordRegister, marks: readonly DocumentMarkCode[] = []): Coding[] {
  return [
    { system: LocalSystem.RegisterHolder, code: register.registerHolder },
    { system: LocalSystem.RegisterKind, code: register.registerKind },
    { system: LocalSystem.DataOrigin, code: register.origin ?? 'kanta' },
    ...[...new Set(marks)].map((code) => ({ system: LocalSystem.DocumentMark, code })),
  ];
}
