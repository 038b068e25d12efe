// Resource validation against R4 and the project profiles, issues in fi/sv/en (SPEC F2, F3). https://hl7.org/fhir/R4/validation.html
import { OperationOutcomeError, isResourceType, loadDataType, validateResource, validateTypedValue } from '@medplum/core';
import type {
  CodeSystem,
  ElementDefinition,
  OperationOutcome,
  OperationOutcomeIssue,
  Resource,
  StructureDefinition,
  ValueSet,
} from '@medplum/fhirtypes';
import type { ElementCheckContext, ElementWalk } from './element-checks.js';
import { checkElements } from './element-checks.js';
import { checkInput } from './input-checks.js';
import type { SupplementaryInvariants } from './invariants.js';
import { createSupplementaryInvariants } from './invariants.js';
import type { Language } from './language.js';
import { DEFAULT_LANGUAGE } from './language.js';
import { translateMedplumIssue } from './medplum-issues.js';
import { createIssue } from './messages.js';
import type { ProfileInvariants } from './profile-invariants.js';
import { createProfileInvariants, isProjectConstraint } from './profile-invariants.js';
import type { R4Definitions } from './r4-definitions.js';
import { CORE_STRUCTURE_DEFINITION_BASE, loadR4Definitions } from './r4-definitions.js';
import { newRegistryInstance, profilePrefix } from './registry-names.js';
import { generateSnapshot } from './snapshot.js';
import { walkStructure } from './structure-walk.js';
import type { Terminology } from './terminology.js';
import { createTerminology } from './terminology.js';

export { pickLanguage } from './language.js';
export type { Language } from './language.js';

export interface ValidatorOptions {
  /** Project profiles (differential or with snapshot); extension definitions included. */
  profiles: StructureDefinition[];
  /** Our profile url a foreign canonical stands for in this resource (e.g. Kanta PHR fiphr-sd-*), validated in its place. */
  equivalentProfile?: (url: string, resource: Resource) => string | undefined;
  /** Project value sets and code systems; they override R4 ones with the same URL. */
  valueSets?: ValueSet[];
  codeSystems?: CodeSystem[];
  /** Already loaded R4 definitions, to share one load between validators (tests); loaded when absent. */
  r4?: R4Definitions;
  /** How the project's element checks walk a resource (element-checks.ts); tests compare both walks. */
  elementWalk?: ElementWalk;
  /**
   * 'walk' (default): one walk of our own does structure and element checks (structure-walk.ts); 'medplum':
   * @medplum/core's validator and then the element checks, kept as the reference the walk is tested against.
   */
  structure?: 'walk' | 'medplum';
}

export interface ValidateOptions {
  /** Validate against this profile too (as $validate?profile=...), besides the ones in meta.profile. */
  profileUrl?: string;
  language?: Language;
}

export interface Validator {
  /**
   * Validates structure, cardinality, required bindings and FHIRPath invariants of the base R4 type, plus every
   * profile in resource.meta.profile that the validator knows (an unknown claimed profile is an error), plus
   * `profileUrl` if given. No issue of severity error or fatal means valid.
   */
  validate(resource: unknown, opts?: ValidateOptions): OperationOutcome;
  /** The project profiles with generated snapshots, to serve over FHIR. */
  profiles(): StructureDefinition[];
  hasProfile(url: string): boolean;
}

interface CompiledProfile {
  url: string;
  type: string;
  structureDefinition: StructureDefinition;
  /** Key of the parsed snapshot in medplum's type registry (see registerWithMedplum). */
  typeKey: string;
  invariants: ProfileInvariants;
}

/** Slicing discriminator types @medplum/core 4.5 understands; others make its parser throw. */
const MEDPLUM_DISCRIMINATORS = new Set(['value', 'pattern', 'type']);

/**
 * The copy of a snapshot medplum validates: without slicing discriminators it cannot parse, and without the
 * project's own constraints (profile-invariants.ts evaluates those with the fhirpath package).
 */
function forMedplum(sd: StructureDefinition): StructureDefinition {
  const element: ElementDefinition[] = (sd.snapshot?.element ?? []).map((e) => {
    const copy = { ...e };
    if (copy.slicing?.discriminator?.some((d) => !MEDPLUM_DISCRIMINATORS.has(d.type as string))) {
      copy.slicing = { ...copy.slicing, discriminator: copy.slicing.discriminator.filter((d) => MEDPLUM_DISCRIMINATORS.has(d.type as string)) };
    }
    if (copy.constraint?.some(isProjectConstraint)) {
      copy.constraint = copy.constraint.filter((c) => !isProjectConstraint(c));
    }
    return copy;
  });
  return { ...sd, snapshot: { element } };
}

/**
 * Registers a profile snapshot in @medplum/core's type registry so it is parsed once, not on every validateResource
 * call (parsing costs ~1.5 ms). The registry key is a URL (medplum indexes such types globally) made unique per
 * validator and profile, and BackboneElements get unique type names through base.path, which is what medplum derives inner type
 * names from; this also makes its crawler apply the profile's rules inside backbone elements (provision.actor ...).
 */
function registerWithMedplum(sd: StructureDefinition, instance: string): string {
  const typeKey = `${sd.url}|${instance}`;
  const element = (sd.snapshot?.element ?? []).map((e, i) =>
    i > 0 && e.type?.some((t) => t.code === 'BackboneElement' || t.code === 'Element')
      ? { ...e, base: { min: e.min ?? 0, max: e.max ?? '*', ...e.base, path: `${instance}.${(e.id ?? e.path ?? '').replace(/[^A-Za-z0-9.]/g, '_')}` } }
      : e
  );
  loadDataType({ ...sd, type: typeKey, snapshot: { element } });
  return typeKey;
}

const UnprocessableDetail: Record<Language, string> = {
  en: 'the resource has a shape the validator cannot process',
  fi: 'resurssin rakennetta ei voida käsitellä',
  sv: 'resursens struktur kan inte behandlas',
};

function translateAll(raw: OperationOutcomeIssue[], language: Language): OperationOutcomeIssue[] {
  return raw.map((issue) => translateMedplumIssue(issue, language)).filter((i): i is OperationOutcomeIssue => !!i);
}

function stripVersion(url: string): string {
  return url.split('|')[0];
}

function isErrorIssue(issue: OperationOutcomeIssue): boolean {
  return issue.severity === 'error' || issue.severity === 'fatal';
}

function dedupe(issues: OperationOutcomeIssue[]): OperationOutcomeIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.severity}|${issue.code}|${issue.expression?.[0]}|${issue.details?.text}`;
    if (seen.has(key)) {
      return false;
    }
    seen.add(key);
    return true;
  });
}

/** Builds snapshots for the project profiles in base-first order; throws naming the first profile that cannot be built. */
function compileProfiles(profiles: StructureDefinition[], r4: R4Definitions, instance: string): Map<string, CompiledProfile> {
  const byUrl = new Map<string, StructureDefinition>();
  for (const sd of profiles) {
    if (!sd.url) {
      throw new Error(`Profile ${sd.id ?? sd.name ?? '(unnamed)'} has no url`);
    }
    byUrl.set(sd.url, sd);
  }
  const compiled = new Map<string, CompiledProfile>();

  function compile(url: string, chain: string[]): CompiledProfile {
    const done = compiled.get(url);
    if (done) {
      return done;
    }
    if (chain.includes(url)) {
      throw new Error(`Profile ${url} derives from itself: ${[...chain, url].join(' -> ')}`);
    }
    const sd = byUrl.get(url) as StructureDefinition;
    let structureDefinition: StructureDefinition;
    if (sd.differential?.element?.length || !sd.snapshot?.element?.length) {
      const baseUrl = stripVersion(sd.baseDefinition ?? '');
      const baseProfile = byUrl.has(baseUrl) ? compile(baseUrl, [...chain, url]) : undefined;
      const base = baseProfile?.structureDefinition ?? r4.structureDefinition(baseUrl);
      if (!base) {
        throw new Error(`Profile ${url}: unknown baseDefinition ${sd.baseDefinition}`);
      }
      structureDefinition = generateSnapshot(sd, base, r4.typeDefinition).structureDefinition;
    } else {
      structureDefinition = sd;
    }
    const typeKey = registerWithMedplum(forMedplum(structureDefinition), profilePrefix(instance, compiled.size));
    const profile: CompiledProfile = {
      url,
      type: structureDefinition.type as string,
      structureDefinition,
      typeKey,
      invariants: createProfileInvariants(structureDefinition.snapshot?.element ?? []),
    };
    compiled.set(url, profile);
    return profile;
  }

  for (const url of byUrl.keys()) {
    compile(url, []);
  }
  return compiled;
}

function extensionValueTypeIndex(compiled: Map<string, CompiledProfile>): Map<string, string[]> {
  const index = new Map<string, string[]>();
  for (const profile of compiled.values()) {
    if (profile.type !== 'Extension') {
      continue;
    }
    const value = profile.structureDefinition.snapshot?.element?.find((e) => e.id === 'Extension.value[x]');
    if (value) {
      index.set(profile.url, value.max === '0' ? [] : (value.type ?? []).map((t) => t.code as string));
    }
  }
  return index;
}

/**
 * Creates a validator; construct once at startup (building snapshots, parsing schemas and compiling FHIRPath
 * happen here, so validate() stays in the sub-millisecond range for typical resources).
 */
export function createValidator(opts: ValidatorOptions): Validator {
  const r4 = opts.r4 ?? loadR4Definitions();
  // Unique per validator so two validators (tests, reloads) never overwrite each other's registered profiles.
  const instance = newRegistryInstance();
  const compiled = compileProfiles(opts.profiles, r4, instance);
  const terminology: Terminology = createTerminology(
    [...r4.valueSets, ...(opts.valueSets ?? [])],
    [...r4.codeSystems, ...(opts.codeSystems ?? [])]
  );
  const invariants: SupplementaryInvariants = createSupplementaryInvariants(r4.typeDefinition);
  const extensionTypes = extensionValueTypeIndex(compiled);
  const servedProfiles = [...compiled.values()].map((p) => p.structureDefinition);

  const checkContext = (language: Language): ElementCheckContext => ({
    terminology,
    language,
    targetTypeOf: (url) => compiled.get(stripVersion(url))?.type ?? r4.structureDefinition(url)?.type,
    extensionValueTypes: (url) => extensionTypes.get(url),
  });

  function runMedplum(resource: Resource, profile: CompiledProfile | undefined, language: Language): OperationOutcomeIssue[] {
    let raw: OperationOutcomeIssue[];
    try {
      raw = profile ? validateTypedValue({ type: profile.typeKey, value: resource }) : validateResource(resource);
    } catch (err) {
      if (err instanceof OperationOutcomeError) {
        raw = err.outcome.issue ?? [];
      } else {
        // Never the exception's own text (a stack overflow or a TypeError says nothing useful and leaks internals).
        return [createIssue('processing', language, resource.resourceType, { params: { detail: UnprocessableDetail[language] } })];
      }
    }
    return translateAll(raw, language);
  }

  function validate(input: unknown, options: ValidateOptions = {}): OperationOutcome {
    const language = options.language ?? DEFAULT_LANGUAGE;
    const outcome = (issues: OperationOutcomeIssue[]): OperationOutcome => ({
      resourceType: 'OperationOutcome',
      issue: issues.length > 0 ? issues : [createIssue('valid', language, '', { severity: 'information' })],
    });
    if (typeof input !== 'object' || input === null || Array.isArray(input) || typeof (input as Resource).resourceType !== 'string') {
      return outcome([createIssue('not-a-resource', language, '')]);
    }
    const resource = input as Resource;
    const type = resource.resourceType;
    if (!isResourceType(type)) {
      return outcome([createIssue('unknown-resource-type', language, 'resourceType', { params: { type } })]);
    }

    const issues: OperationOutcomeIssue[] = checkInput(resource as unknown as Record<string, unknown>, language);
    const targets: CompiledProfile[] = [];
    const claimed: { url: string; expression: string }[] = [];
    const metaProfiles = resource.meta?.profile;
    if (Array.isArray(metaProfiles)) {
      metaProfiles.forEach((url, i) => {
        if (typeof url === 'string') {
          claimed.push({ url, expression: `${type}.meta.profile[${i}]` });
        }
      });
    }
    if (options.profileUrl) {
      claimed.push({ url: options.profileUrl, expression: type });
    }
    for (const { url, expression } of claimed) {
      const canonical = stripVersion(url);
      if (canonical === CORE_STRUCTURE_DEFINITION_BASE + type) {
        continue; // the base type is always validated
      }
      const equivalent = compiled.has(canonical) ? undefined : opts.equivalentProfile?.(canonical, resource);
      const profile = compiled.get(equivalent ?? canonical);
      if (!profile) {
        issues.push(createIssue('unknown-profile', language, expression, { params: { url } }));
      } else if (profile.type !== type) {
        issues.push(createIssue('profile-type-mismatch', language, expression, { params: { url, profileType: profile.type, type } }));
      } else if (!targets.includes(profile)) {
        targets.push(profile);
      }
    }

    const ctx = checkContext(language);
    // A profile snapshot contains the base type's rules, so the base is validated on its own only without profiles.
    for (const profile of targets.length > 0 ? targets : [undefined]) {
      const typeKey = profile ? profile.typeKey : type;
      try {
        if (opts.structure === 'medplum') {
          issues.push(...runMedplum(resource, profile, language));
          issues.push(...checkElements(resource, typeKey, ctx, opts.elementWalk));
        } else {
          const walked = walkStructure(resource, typeKey, ctx);
          issues.push(...translateAll(walked.structure, language), ...walked.elements);
        }
        if (profile) {
          issues.push(...profile.invariants.check(resource, language));
        }
      } catch (err) {
        issues.push(createIssue('processing', language, type, { params: { detail: UnprocessableDetail[language] } }));
      }
    }
    issues.push(...invariants.check(resource, language));

    const unique = dedupe(issues);
    unique.sort((a, b) => Number(isErrorIssue(b)) - Number(isErrorIssue(a)));
    return outcome(unique);
  }

  return {
    validate,
    profiles: () => servedProfiles,
    hasProfile: (url) => compiled.has(stripVersion(url)),
  };
}

/** True when the outcome of validate() contains no error or fatal issue. */
export function isValid(outcome: OperationOutcome): boolean {
  return !(outcome.issue ?? []).some(isErrorIssue);
}
