// INTERFACE STUB: implemented by the registry-core work (issue 3). Signatures are fixed.

/** A parsed, normalised image reference (distribution reference grammar). */
export interface ImageReference {
  /** Registry name as normalised by normaliseRegistryName: `docker.io`, `ghcr.io`, `localhost:5000`. */
  readonly registry: string;
  /** Repository path; Docker Hub official images get `library/`. */
  readonly repository: string;
  /** Tag; `latest` when neither tag nor digest was given. Undefined when only a digest was given. */
  readonly tag: string | undefined;
  /** `algorithm:hex`, when given. */
  readonly digest: string | undefined;
  /** The canonical string: `registry/repository[:tag][@digest]`. */
  readonly normalised: string;
}

export class ImageReferenceError extends Error {
  override readonly name = 'ImageReferenceError';
}

/** Parses and normalises an image reference; throws ImageReferenceError naming the rule that failed. */
export function parseImageReference(_input: string): ImageReference {
  throw new Error('not implemented');
}
