// Shrinks the store-level disagreements a triage file holds to minimal worlds (one per kind), for reports and rule tests.
// Usage: PROPERTY_RUNS=60 ORACLE_COLLECT=1 ORACLE_KEEP_WORLD=1 ORACLE_TRIAGE_FILE=/tmp/t.json npx vitest run test/consent/property.test.ts
//        ORACLE_REPLAY=/tmp/t.json npx vitest run test/consent/replay.test.ts
import { readFileSync } from 'node:fs';
import { describe, it } from 'vitest';
import type { Resource } from '@medplum/fhirtypes';
import type { Principal } from '../../src/context.js';
import { createConsentService } from '../../src/consent/consent-service.js';
import { Oracle } from './oracle.js';
import { ctx, load, openStore, searchQuery } from './world.js';

const FILE = process.env.ORACLE_REPLAY;
const WIDE = ['user/*.cruds', 'patient/*.cruds', 'system/*.cruds'];

/** Whether the guarded store returns `ref` to the caller in a search of its type ('refused' when the session is refused). */
async function engineShows(world: Resource[], principal: Principal, ref: string): Promise<boolean | 'refused'> {
  const raw = await openStore();
  await load(raw, world);
  try {
    const session = await createConsentService().forRequest(ctx(principal), raw);
    const [type, id] = ref.split('/');
    return (await session.store.search(searchQuery(type))).resources.some((r) => r.id === id);
  } catch {
    return 'refused';
  }
}

/** Drops resources one by one while engine and oracle still disagree on `ref` (scopes widened: consent alone decides). */
async function minimise(world: Resource[], principal: Principal, ref: string): Promise<Resource[] | undefined> {
  const disagrees = async (w: Resource[]): Promise<boolean> => {
    const r = w.find((x) => `${x.resourceType}/${x.id}` === ref);
    if (!r) return false;
    const v = new Oracle(w).verdict(ctx(principal), r);
    const shown = await engineShows(w, principal, ref);
    return v !== 'open' && shown !== 'refused' && (v === 'yes') !== shown;
  };
  if (!(await disagrees(world))) return undefined;
  let w = world;
  for (let i = w.length - 1; i >= 0; i--) {
    const smaller = w.filter((_, j) => j !== i);
    if (await disagrees(smaller)) w = smaller;
  }
  return w;
}

describe.skipIf(!FILE)('replay of triaged disagreements (skipped: set ORACLE_REPLAY to a triage file written with ORACLE_KEEP_WORLD=1)', () => {
  it('prints one minimal world per kind of disagreement', async () => {
    const kinds = JSON.parse(readFileSync(FILE as string, 'utf8')) as Record<string, { examples: { text: { record?: string; world?: Resource[]; principal?: Principal } }[] }>;
    for (const [kind, entry] of Object.entries(kinds)) {
      const e = entry.examples.find((x) => x.text.world && x.text.record && x.text.principal)?.text;
      if (!e || kind.includes('OUT-OF-SCOPE')) continue;
      const principal = { ...(e.principal as Principal), scopes: WIDE };
      const ref = (e.record as string).split(' ')[0];
      const w = await minimise(e.world as Resource[], principal, ref);
      const text = w ? w.filter((r) => r.resourceType !== 'Organization').map((r) => JSON.stringify(r)).join('\n  ') : '(does not reproduce on the store)';
      console.log(`${kind}\n  caller ${JSON.stringify(principal)}\n  record ${ref}\n  ${text}`);
    }
  }, 1_800_000);
});
