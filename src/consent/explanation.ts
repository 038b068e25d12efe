// Explains, to the caller only, why a resource is disclosed to them (Patient/[id]/$disclosure). https://hl7.org/fhir/R4/consent.html
import { notFound, OperationOutcomeError } from '@medplum/core';
import type { ResourceStore } from '../store/resource-store.js';
import type { ConsentAccessPolicy, RuleId } from './access-policy.js';
import { and, param } from './conditions.js';
import { RuleText, type Texts } from './messages.js';

export interface DisclosureExplanation {
  decision: 'permit' | 'deny';
  rules: RuleId[];
  provisions: Array<{ consent: string; path: string; type: 'permit' | 'deny' }>;
  text: Texts;
}

export type ExplainTarget = { resourceType: string; id: string } | { resourceType: string; id?: undefined };

function describe(rules: RuleId[], fallback: Texts): Texts {
  if (rules.length === 0) return fallback;
  const pick = (lang: keyof Texts): string => rules.map((r) => RuleText[r]?.[lang] ?? r).join(' ');
  return { fi: pick('fi'), sv: pick('sv'), en: pick('en') };
}

const NothingVisible: Texts = {
  fi: 'Mikään sääntö ei salli sinun nähdä tämän tyypin tietoja.',
  sv: 'Ingen regel tillåter dig att se uppgifter av denna typ.',
  en: 'No rule lets you see data of this type.',
};

/**
 * A resource the caller cannot see answers exactly as a missing one (404, D11): the explanation never says
 * that a withheld record or a prohibition exists. For a type, it lists the rules that can disclose it.
 */
export async function explainDisclosure(raw: ResourceStore, policy: ConsentAccessPolicy, target: ExplainTarget): Promise<DisclosureExplanation> {
  const branches = policy.branches(target.resourceType);
  let matched = branches;
  if (target.id !== undefined) {
    const id = target.id;
    // Sequential: the request's single database connection would only queue parallel queries.
    const hits: boolean[] = [];
    for (const b of branches) {
      const res = await raw.search({
        resourceType: target.resourceType,
        where: [and(param('_id', [id]), b.cond)],
        sort: [],
        count: 1,
        offset: 0,
        total: 'none',
        include: [],
        revinclude: [],
      });
      hits.push(res.resources.length > 0);
    }
    matched = branches.filter((_, i) => hits[i]);
    if (matched.length === 0) throw new OperationOutcomeError(notFound);
  }
  const rules = [...new Set(matched.flatMap((b) => b.rules))];
  const seen = new Set<string>();
  const provisions = matched
    .flatMap((b) => b.provisions)
    .filter((p) => (seen.has(`${p.consent}#${p.path}`) ? false : (seen.add(`${p.consent}#${p.path}`), true)))
    .map((p) => ({ consent: p.consent, path: p.path, type: p.type }));
  return { decision: rules.length ? 'permit' : 'deny', rules, provisions, text: describe(rules, NothingVisible) };
}
