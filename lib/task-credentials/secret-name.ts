/** Secrets Manager's limit on a secret name. */
export const SECRET_NAME_MAX_LENGTH = 512;

/** Secrets Manager reads a name ending in `-` plus six letters or digits as an ARN's random suffix. */
const LOOKS_LIKE_ARN_SUFFIX = /-[A-Za-z0-9]{6}$/;

/**
 * Encodes a normalised registry name (`docker.io`, `host`, `host:port`, `[::1]:5000`) into
 * Secrets Manager's name alphabet, injectively (SPEC §11): lower-case, every character outside
 * `[a-z0-9.-]` becomes `_` plus its two hex digits (`:` → `_3a`, `_` → `_5f`), and `_x` is
 * appended when the result would end in `-` plus six letters or digits. Injective because `_`
 * only ever starts a two-hex-digit escape, and `_x` (x is not a hex digit) only ever ends a name.
 */
export function encodeRegistryForSecretName(registry: string): string {
  let encoded = '';
  for (const char of registry.toLowerCase()) {
    if (/^[a-z0-9.-]$/.test(char)) {
      encoded += char;
      continue;
    }
    const code = char.codePointAt(0) ?? 0;
    if (code > 0xff) throw new RangeError('a registry name has only ASCII characters');
    encoded += `_${code.toString(16).padStart(2, '0')}`;
  }
  return LOOKS_LIKE_ARN_SUFFIX.test(encoded) ? `${encoded}_x` : encoded;
}

/**
 * The name of a registry's credential secret: `prefix` + the encoded registry name. Throws a
 * RangeError when the name would pass Secrets Manager's 512-character limit.
 */
export function registryCredentialSecretName(prefix: string, registry: string): string {
  const name = `${prefix}${encodeRegistryForSecretName(registry)}`;
  if (name.length > SECRET_NAME_MAX_LENGTH) {
    throw new RangeError(`a registry credential secret name would pass ${SECRET_NAME_MAX_LENGTH} characters`);
  }
  return name;
}
