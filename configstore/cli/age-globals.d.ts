// The two browser types `age-encryption`'s declarations name (it targets the browser too);
// Node's types have CryptoKey as a value only and no WebAuthn. Types only: nothing at run time.
import type { webcrypto } from 'node:crypto';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- merges with Node's `var CryptoKey`, as the DOM's declarations do
  interface CryptoKey extends webcrypto.CryptoKey {}
  /** WebAuthn's PRF output (used by the package's passkey recipients, which configstore does not use). */
  interface AuthenticationExtensionsPRFValues {
    first: ArrayBuffer | ArrayBufferView;
    second?: ArrayBuffer | ArrayBufferView;
  }
}
