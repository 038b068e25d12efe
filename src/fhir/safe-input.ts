// Names and characters no FHIR input may carry, shared by the HTTP edge, search parsing and validation. https://hl7.org/fhir/R4/datatypes.html#string
/**
 * Names that would reach Object.prototype through an ordinary object (`constructor`, `__proto__`, `toString`...).
 * None is a FHIR element or search parameter, and each has crashed or polluted naive key handling somewhere.
 */
export function isPrototypeName(name: string): boolean {
  return name === '__proto__' || Object.prototype.hasOwnProperty.call(Object.prototype, name);
}

/** NUL and the other C0 controls but tab, CR and LF; U+FFFE/U+FFFF; unpaired surrogates. */
const ForbiddenChar = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|\p{Cs}/u;

export function hasForbiddenCharacter(s: string): boolean {
  return ForbiddenChar.test(s);
}
