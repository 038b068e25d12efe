// Stores FHIR resources read from NDJSON (the Bulk Data format, and the generator's record files) by their ids, idempotently. https://hl7.org/fhir/uv/bulkdata/STU2/export.html#file-format
import { OperationOutcomeError, badRequest } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import type { ResourceStore } from '../store/resource-store.js';
import type { ReferenceResolver } from './reference-resolver.js';

const ID_RE = /^[A-Za-z0-9\-.]{1,64}$/;
const RELATIVE_REF = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/;
/** The audit log is written by the gateway itself, never imported. */
const NotImported = new Set(['AuditEvent']);

function fail(at: string, element: string, reason: string): never {
  throw new OperationOutcomeError(badRequest(`${at}: ${element}: ${reason}`, element));
}

/** Every relative `Type/id` reference in the resource, with the element it sits at. */
function referencesOf(value: unknown, path: string, out: Array<{ path: string; ref: string }>): void {
  if (Array.isArray(value)) value.forEach((v, i) => referencesOf(v, `${path}[${i}]`, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'reference' && typeof v === 'string' && RELATIVE_REF.test(v)) out.push({ path: `${path}.reference`, ref: v });
      else if (k !== 'contained') referencesOf(v, `${path}.${k}`, out);
    }
  }
}

/** Remembers which references were found in the store, so shared targets (organisations) are looked up once. */
export interface KnownReferences {
  has(ref: string): boolean;
  add(ref: string): void;
  clear(): void;
}

export function createKnownReferences(max = 50_000): KnownReferences {
  const known = new Set<string>();
  return {
    has: (ref) => known.has(ref),
    add(ref) {
      if (known.size >= max) known.clear();
      known.add(ref);
    },
    clear: () => known.clear(),
  };
}

/**
 * Whether the next resource is likely new. A first import finds no resource stored: trying the insert first saves the
 * lookup, one round trip a resource on PostgreSQL. A re-import finds every one: reading first then saves the refused
 * insert (and its index extraction). Guessed from recent resources, so a run that changes from one to the other follows.
 */
export interface ExistenceGuess {
  likelyNew(): boolean;
  saw(existed: boolean): void;
}

export function createExistenceGuess(): ExistenceGuess {
  // A moving average of "existed" over about the last 20 resources, starting from "new".
  let existed = 0;
  return {
    likelyNew: () => existed < 0.5,
    saw(e) {
      existed = existed * 0.95 + (e ? 0.05 : 0);
    },
  };
}

/**
 * New resources waiting to be inserted together (ResourceStore.createAbsent), so that on PostgreSQL a first import costs
 * a round trip a chunk instead of one a resource. Sent when full, and awaited when the next chunk is sent, before the
 * store is read (a read must see them) and before the batch commits. A taken id found then is read and compared, as one
 * found at once would be.
 */
export interface PendingCreates {
  add(stored: Resource, r: ReferenceResolver): Promise<void>;
  flush(): Promise<void>;
  /** Forgets the queue: its transaction rolled back. */
  discard(): void;
}

/**
 * A flush was refused (a resource invalid, say). Which record it belongs to is not known there, so the caller writes
 * the batch again one record at a time, without deferring, and the refusal then names its own record.
 */
export class DeferredCreateRefused extends Error {
  constructor(readonly refusal: OperationOutcomeError) {
    super('A deferred create was refused');
  }
}

export function createPendingCreates(store: () => ResourceStore, guess: ExistenceGuess, max = 100): PendingCreates {
  type Entry = { stored: Resource; r: ReferenceResolver };
  let queue: Entry[] = [];
  /**
   * The chunk sent last, not yet awaited: the database inserts it while the next chunk is mapped, indexed and built, so
   * the import and the database work at the same time instead of in turn (a chunk takes PostgreSQL tens of milliseconds).
   */
  let inFlight: { entries: Entry[]; result: Promise<Array<Resource | undefined>> } | undefined;

  const refused = (err: unknown): unknown => (err instanceof OperationOutcomeError ? new DeferredCreateRefused(err) : err);

  /** Awaits the chunk in flight and applies its outcome: taken ids are read and compared, as if found at once. */
  async function settle(): Promise<void> {
    if (!inFlight) return;
    const { entries, result } = inFlight;
    inFlight = undefined;
    try {
      const created = await result;
      for (let i = 0; i < entries.length; i++) {
        const { stored, r } = entries[i];
        const resource = created[i];
        if (resource) {
          r.created(resource);
          guess.saw(false);
          continue;
        }
        const existing = await r.read(stored.resourceType, stored.id as string);
        guess.saw(existing !== undefined);
        await r.upsert(stored, existing);
      }
    } catch (err) {
      throw refused(err);
    }
  }

  async function send(): Promise<void> {
    await settle();
    if (queue.length === 0) return;
    const entries = queue;
    queue = [];
    const result = Promise.resolve().then(() => store().createAbsent!(entries.map((e) => e.stored)));
    // Its failure is answered by settle(); until then it must not count as unhandled.
    result.catch(() => undefined);
    inFlight = { entries, result };
  }

  return {
    async add(stored, r) {
      queue.push({ stored, r });
      if (queue.length >= max) await send();
    },
    async flush() {
      await send();
      await settle();
    },
    discard: () => {
      queue = [];
      inFlight = undefined;
    },
  };
}

export function checkFhirResource(at: string, value: unknown): Resource {
  if (!value || typeof value !== 'object' || Array.isArray(value)) fail(at, '$', 'a line must be one FHIR resource (a JSON object)');
  const r = value as Resource;
  if (typeof r.resourceType !== 'string' || !/^[A-Z][A-Za-z]+$/.test(r.resourceType)) fail(at, 'resourceType', 'missing or not a resource type');
  if (NotImported.has(r.resourceType)) fail(at, 'resourceType', `${r.resourceType} resources are not imported`);
  if (typeof r.id !== 'string' || !ID_RE.test(r.id)) fail(at, `${r.resourceType}.id`, 'every imported resource needs a valid id (its natural key)');
  return r;
}

/** The resource as the import writes it: the store sets meta.versionId and meta.lastUpdated itself. */
export function storedForm(resource: Resource): Resource {
  const { versionId: _v, lastUpdated: _l, ...meta } = resource.meta ?? {};
  const clean = { ...resource, ...(resource.meta ? { meta } : {}) } as Resource;
  if (resource.meta && Object.keys(meta).length === 0) delete clean.meta;
  return clean;
}

/**
 * Applies one resource: created when new, a new version when its content (ignoring meta.versionId/lastUpdated)
 * differs from the stored one, nothing otherwise. Its references must be in the store already; the run applies
 * resources in dependency order, so a missing target is absent from both the store and the run. While `guess` says
 * resources are new, it is inserted before any lookup and read only when its id turns out taken; with `pending`, the
 * insert waits to go with others.
 */
export async function importFhirResource(
  at: string,
  resource: Resource,
  r: ReferenceResolver,
  known: KnownReferences,
  guess: ExistenceGuess,
  pending?: PendingCreates,
): Promise<void> {
  const refs: Array<{ path: string; ref: string }> = [];
  referencesOf(resource, resource.resourceType, refs);
  const self = `${resource.resourceType}/${resource.id}`;
  for (const { path, ref } of refs) {
    if (ref === self || known.has(ref)) continue;
    // Known references forget when full: the target may be waiting in the queue.
    await pending?.flush();
    const [type, id] = ref.split('/');
    if (!(await r.read(type as Resource['resourceType'], id))) fail(at, path, `${ref} is neither in the store nor in this import`);
    known.add(ref);
  }
  const stored = storedForm(resource);
  // One written earlier in this run is stored: read it first, whatever the guess.
  const insertFirst = !known.has(self) && guess.likelyNew();
  if (insertFirst && pending) {
    await pending.add(stored, r);
  } else if (insertFirst && (await r.createIfAbsent(stored))) {
    guess.saw(false);
  } else {
    // Written earlier in this run, it may still be waiting.
    await pending?.flush();
    const existing = await r.read(resource.resourceType, resource.id as string);
    guess.saw(existing !== undefined);
    await r.upsert(stored, existing);
  }
  known.add(self);
}
