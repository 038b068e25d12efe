// Language of OperationOutcome texts chosen from the Accept-Language header (RFC 9110 §12.5.4). https://www.rfc-editor.org/rfc/rfc9110#field.accept-language

/** Languages the gateway writes its issue texts in: Finland's two official languages and English. */
export const SupportedLanguages = ['fi', 'sv', 'en'] as const;
export type Language = (typeof SupportedLanguages)[number];
export const DEFAULT_LANGUAGE: Language = 'en';

function isSupported(tag: string): tag is Language {
  return (SupportedLanguages as readonly string[]).includes(tag);
}

/**
 * Picks fi, sv or en from an Accept-Language value by q-value, first listed wins a tie;
 * `fi-FI`/`sv-FI` match on their primary subtag, `q=0` excludes, anything unparseable falls back to English.
 */
export function pickLanguage(acceptLanguage?: string): Language {
  if (!acceptLanguage) {
    return DEFAULT_LANGUAGE;
  }
  const ranges: { tag: string; q: number; order: number }[] = [];
  acceptLanguage.split(',').forEach((part, order) => {
    const [rawTag, ...params] = part.trim().split(';');
    const tag = rawTag.trim().toLowerCase();
    if (!tag) {
      return;
    }
    let q = 1;
    for (const param of params) {
      const [name, value] = param.trim().split('=');
      if (name?.trim().toLowerCase() === 'q') {
        const parsed = Number(value?.trim());
        q = Number.isFinite(parsed) && parsed >= 0 && parsed <= 1 ? parsed : 0;
      }
    }
    if (q > 0) {
      ranges.push({ tag, q, order });
    }
  });
  ranges.sort((a, b) => b.q - a.q || a.order - b.order);
  for (const { tag } of ranges) {
    if (tag === '*') {
      return DEFAULT_LANGUAGE;
    }
    const primary = tag.split('-')[0];
    if (isSupported(primary)) {
      return primary;
    }
  }
  return DEFAULT_LANGUAGE;
}
