// SMART v2 (and v1) resource scopes -> which interactions a token allows on which types. https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html
import { Interaction, type InteractionCode } from '../fhir/types.js';

export const ScopeContext = { Patient: 'patient', User: 'user', System: 'system' } as const;
export type ScopeContextCode = (typeof ScopeContext)[keyof typeof ScopeContext];

/** SMART v2 permission letters, in the order the spec requires them. */
export type ScopeLetter = 'c' | 'r' | 'u' | 'd' | 's';
const LETTER_ORDER = 'cruds';

/** SMART v1 permissions expressed in v2 letters. */
const V1_PERMISSIONS: Record<string, ScopeLetter[]> = {
  read: ['r', 's'],
  write: ['c', 'u', 'd'],
  '*': ['c', 'r', 'u', 'd', 's'],
};

export interface ResourceScope {
  context: ScopeContextCode;
  /** A resource type or '*'. */
  resourceType: string;
  letters: ReadonlySet<ScopeLetter>;
  /** v2 granular constraint (`?category=...`); kept so callers can see it, but such a scope grants nothing here. */
  query?: string;
}

const SCOPE = /^(patient|user|system)\/([A-Za-z]+|\*)\.([a-z*]+)(?:\?(.+))?$/;

/** Parses one resource scope; non-resource scopes (openid, launch, fhirUser...) and malformed ones give undefined. */
export function parseScope(scope: string): ResourceScope | undefined {
  const m = SCOPE.exec(scope);
  if (!m) return undefined;
  const [, context, resourceType, permission, query] = m;
  let letters: ScopeLetter[] | undefined = V1_PERMISSIONS[permission];
  if (!letters) {
    // v2: a non-empty subset of "cruds" in that order, each letter once.
    let last = -1;
    for (const ch of permission) {
      const i = LETTER_ORDER.indexOf(ch);
      if (i <= last) return undefined;
      last = i;
    }
    letters = [...permission] as ScopeLetter[];
  }
  return { context: context as ScopeContextCode, resourceType, letters: new Set(letters), ...(query ? { query } : undefined) };
}

/**
 * The letter an interaction needs. Operations name their own (OperationRoute.scope); transaction and batch
 * are checked entry by entry, and capabilities needs no scope, so those return undefined.
 */
export function scopeLetterFor(interaction: InteractionCode, operationLetter?: ScopeLetter): ScopeLetter | undefined {
  switch (interaction) {
    case Interaction.Read:
    case Interaction.Vread:
    case Interaction.HistoryInstance:
    case Interaction.HistoryType:
    case Interaction.HistorySystem:
      return 'r';
    case Interaction.SearchType:
    case Interaction.SearchSystem:
      return 's';
    case Interaction.Create:
      return 'c';
    case Interaction.Update:
    case Interaction.Patch:
      return 'u';
    case Interaction.Delete:
      return 'd';
    case Interaction.Operation:
      return operationLetter;
    case Interaction.Capabilities:
    case Interaction.Transaction:
    case Interaction.Batch:
      return undefined;
  }
}

/**
 * True when some granted scope allows `interaction` on `resourceType` (undefined = system level, which
 * needs a `*` scope). Scopes carrying a `?query` constraint grant nothing: this gateway does not yet
 * narrow results by them, and granting them whole would widen access.
 */
export function isAllowed(scopes: readonly string[], resourceType: string | undefined, interaction: InteractionCode, operationLetter?: ScopeLetter): boolean {
  if (interaction === Interaction.Capabilities || interaction === Interaction.Transaction || interaction === Interaction.Batch) return true;
  const letter = scopeLetterFor(interaction, operationLetter);
  // An operation that did not name its letter is refused rather than guessed.
  if (!letter) return false;
  return scopes.some((s) => {
    const parsed = parseScope(s);
    if (!parsed || parsed.query) return false;
    if (parsed.resourceType !== '*' && parsed.resourceType !== resourceType) return false;
    return parsed.letters.has(letter);
  });
}

/** The sentence a 403 names when the scope check fails (also used as the insufficient_scope description). */
export function scopeRequirement(resourceType: string | undefined, interaction: InteractionCode, operationLetter?: ScopeLetter): string {
  const letter = scopeLetterFor(interaction, operationLetter) ?? '?';
  return `Interaction ${interaction} on ${resourceType ?? 'the system'} needs a scope such as patient/${resourceType ?? '*'}.${letter}`;
}
