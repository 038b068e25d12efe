// Groups engine-versus-oracle disagreements of the property tests by kind and keeps the smallest example of each (for the report).
import { writeFileSync } from 'node:fs';
import type { Resource } from '@medplum/fhirtypes';
import type { Principal } from '../../src/context.js';
import { type Oracle, scopeAllows } from './oracle.js';

export interface Disagreement {
  caller: Partial<Principal>;
  /** The principal the oracle evaluated (server ids over HTTP), when it differs from `caller` as shown. */
  principal?: Principal;
  what: 'leaked' | 'missing' | 'refused' | 'not-refused' | 'total' | 'status';
  type?: string;
  id?: string;
  route?: string;
  detail?: string;
}

/** One line about a caller and one about the record, in the words of the rules. */
export function report(d: Disagreement, world: Resource[], oracle: Oracle): Record<string, unknown> {
  const f = oracle.facts;
  const r = d.id ? world.find((x) => x.resourceType === d.type && x.id === d.id) : undefined;
  const c = d.caller;
  const caller = [c.kind, c.sector, c.organization && `org=${c.organization}`, c.unit && `unit=${c.unit}`, c.patient && `patient=${c.patient}`, c.subject && `sub=${c.subject}`, c.relationship && 'rel', c.legalBasis && 'legalBasis', c.pharmacy && 'pharmacy', c.mandates && `mandates=${c.mandates.join('+')}`, c.clientId, `scopes=${(c.scopes ?? []).join(' ')}`]
    .filter(Boolean)
    .join(' ');
  const out: Record<string, unknown> = { what: d.what, route: d.route, caller };
  if (d.detail) out.detail = d.detail;
  if (r) {
    out.record = [
      `${r.resourceType}/${r.id}`,
      `patient=${f.patientRef(r)}`,
      f.holder(r) && `holder=${f.holder(r)}`,
      f.kind(r) && `kind=${f.kind(r)}`,
      !f.inKanta(r) && 'origin=local',
      `date=${f.date(r)}`,
      (r as any).status && `status=${(r as any).status}`,
      f.marks(r).length && `marks=${f.marks(r).join('+')}`,
      f.restrictionParent(r).length && `rp=${f.restrictionParent(r).join('+')}`,
      f.releaseDate(r) && `release=${f.releaseDate(r)}`,
      f.socialDocumentKind(r) && `socialKind=${f.socialDocumentKind(r)}`,
      f.ancestors(r).length && `linked=${f.ancestors(r).map((a) => `${a.resourceType}/${a.id}@${f.holder(a) ?? ''}/${f.date(a)}`).join(',')}`,
    ]
      .filter(Boolean)
      .join(' ');
    const p = f.patientRef(r);
    out.consents = world
      .filter((x) => x.resourceType === 'Consent' && x.patient?.reference === p)
      .map((x) => `${f.consentKind(x as any)}${(x as any).provision?.type === 'deny' ? '(deny)' : ''}@${(x as any).dateTime?.slice(0, 16)} ${JSON.stringify((x as any).provision?.provision ?? (x as any).provision?.data ?? '')}`.slice(0, 400));
  }
  return out;
}

let evaluatedAt = new Date('2025-06-15T10:00:00Z');
/** The instant the property test evaluates at (store level: world.ts NOW; HTTP: the real clock). */
export function evaluateAt(now: Date): void {
  evaluatedAt = now;
}
const NOW_OF = (_world: Resource[]): Date => evaluatedAt;

export class Triage {
  private readonly kinds = new Map<string, { n: number; examples: { size: number; text: Record<string, unknown> }[] }>();

  /** A coarse kind: what went wrong, for whom, on which type and register relation. */
  private kindOf(d: Disagreement, world: Resource[], oracle: Oracle): string {
    const f = oracle.facts;
    const r = d.id ? world.find((x) => x.resourceType === d.type && x.id === d.id) : undefined;
    const c = d.caller;
    const principal = d.principal ?? c;
    let rel = '';
    if (r && c.kind === 'professional') {
      const sector = f.sector(r) ?? 'none';
      rel = `${f.holder(r) === c.organization ? 'own-holder' : 'other-holder'} ${sector === c.sector ? 'same-sector' : `${sector}->${c.sector}`} ${f.patientRef(r) === `Patient/${principal.patient}` ? 'token-patient' : 'other-patient'}`;
    }
    // A leak of a type outside the token's scopes is an S1 leak, unless consent alone would withhold it too.
    if (d.what === 'leaked' && d.type && !scopeAllows(c.scopes ?? [], d.type)) {
      const wide = { ...(d.principal ?? c), scopes: ['user/*.cruds', 'patient/*.cruds', 'system/*.cruds'] } as Principal;
      const r2 = r ?? ({ resourceType: d.type, id: d.id } as Resource);
      if (oracle.verdict({ principal: wide, requestId: 'triage', now: NOW_OF(world), language: 'en' }, r2) !== 'no') return `leaked OUT-OF-SCOPE (S1) | ${d.route} | ${c.kind} | ${d.type}`;
    }
    return [d.what, d.route, c.kind, d.type, rel].filter(Boolean).join(' | ');
  }

  add(found: Disagreement[], world: Resource[], oracle: Oracle): void {
    for (const d of found) {
      const k = this.kindOf(d, world, oracle);
      const entry = this.kinds.get(k) ?? { n: 0, examples: [] };
      entry.n++;
      if (entry.examples.length < 4 || world.length < Math.max(...entry.examples.map((e) => e.size))) {
        const text = report(d, world, oracle);
        // ORACLE_KEEP_WORLD=1 keeps the whole world and caller of each example, to replay it.
        if (process.env.ORACLE_KEEP_WORLD === '1') Object.assign(text, { world, principal: d.principal ?? d.caller });
        entry.examples.push({ size: world.length, text });
        entry.examples.sort((a, b) => a.size - b.size);
        entry.examples.splice(4);
      }
      this.kinds.set(k, entry);
    }
  }

  count(): number {
    return [...this.kinds.values()].reduce((s, e) => s + e.n, 0);
  }

  print(file = process.env.ORACLE_TRIAGE_FILE): void {
    const all = Object.fromEntries([...this.kinds.entries()].sort((a, b) => b[1].n - a[1].n));
    if (file) writeFileSync(file, JSON.stringify(all, null, 1));
    for (const [k, e] of Object.entries(all)) console.log(`${e.n} x ${k}`);
  }
}
