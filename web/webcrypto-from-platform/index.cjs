// The platform's Web Crypto in the shape fhirclient asks isomorphic-webcrypto for (`require(...).default`). https://w3c.github.io/webcrypto/
// fhirclient only reaches for this when globalThis.crypto is missing; browsers and Node 20 have it, so there is nothing to polyfill,
// and isomorphic-webcrypto's optional Expo / React Native dependencies would otherwise pull ~500 packages into every install.
module.exports = { default: globalThis.crypto };
