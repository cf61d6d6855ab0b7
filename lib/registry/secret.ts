// INTERFACE STUB: implemented by the registry-core work (issue 3). Signatures are fixed.
import type { RegistryName } from './registry-name';

/** One registry's credentials from the secret. */
export interface RegistryCredential {
  readonly registry: RegistryName;
  readonly username: string;
  readonly password: string;
}

/** The secret's value is malformed. The message names the rule and the entry, never a value. */
export class SecretFormatError extends Error {
  override readonly name = 'SecretFormatError';
}

/** Parses either secret form of SPEC §3; throws SecretFormatError. */
export function parseRegistrySecret(_secretString: string): RegistryCredential[] {
  throw new Error('not implemented');
}
