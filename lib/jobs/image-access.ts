import { awsFailure } from '../aws-errors';
import { HttpError } from '../errors';
import { type BasicCredentials, RegistryError } from '../registry/client';
import { isPrivateEcrRegistry } from '../registry/ecr';
import type { ImageReference } from '../registry/reference';
import type { RegistryName } from '../registry/registry-name';
import { SecretFormatError } from '../registry/secret';
import type { SecretVersion } from '../registry/secret-store';
import { BoundedCache } from './bounded-cache';

/** Manifest checks one container remembers: a new tag per request cannot grow memory without bound. */
const MAX_VERIFIED_IMAGES = 1000;

/** Where the current registry credentials come from (CurrentSecretCache in production). */
export interface SecretSource {
  get(): Promise<SecretVersion>;
  invalidate?(): void;
}

/**
 * Reads the registry secret while answering a request. A malformed value is a 502 that says
 * nothing internal (the rule goes to the log with the cause); AWS errors become 429 or 502 with
 * `failure` as the text (awsFailure).
 */
export async function readSecretForRequest(secrets: SecretSource, failure: string): Promise<SecretVersion> {
  try {
    return await secrets.get();
  } catch (error) {
    if (error instanceof SecretFormatError) {
      throw new HttpError(502, 'Bad Gateway', 'The gateway cannot use its registry credentials.', {
        cause: error,
      });
    }
    throw awsFailure(error, failure);
  }
}

/** The registry call the gateway makes (RegistryClient in production). */
export interface ManifestChecker {
  manifestExists(
    registry: RegistryName,
    repository: string,
    reference: string,
    credentials: BasicCredentials | undefined,
    call?: { readonly signal?: AbortSignal },
  ): Promise<boolean>;
}

export interface ImageAccessSettings {
  readonly allowedRegistries: readonly RegistryName[];
  readonly verifyImages: boolean;
  /** How long a successful manifest check is reused; 0 turns the cache off. */
  readonly imageCacheSeconds: number;
  /** One deadline for the whole manifest check (every request, redirect and token); default 6000. */
  readonly registryDeadlineMs?: number;
}

/** The manifest check's deadline when the settings name none (REGISTRY_DEADLINE_MS's default). */
export const DEFAULT_REGISTRY_DEADLINE_MS = 6000;
/** `Retry-After` of a 504 for a registry that did not answer before the deadline. */
const DEADLINE_RETRY_AFTER_SECONDS = 10;
/** `Retry-After` of a 429 when the registry's own 429 named no time. */
const REGISTRY_THROTTLE_RETRY_AFTER_SECONDS = 60;

/** The registry an image comes from, and the credentials the gateway holds for it. */
export interface ImageRegistry {
  readonly registry: RegistryName;
  readonly credentials: BasicCredentials | undefined;
}

/**
 * Decides whether an image may be used: its registry must be in the secret or in
 * ALLOWED_REGISTRIES (else HttpError 403), and with VERIFY_IMAGES its manifest must exist (else
 * 422), checked within one deadline (else 504 with Retry-After). A positive manifest check is
 * reused for `imageCacheSeconds`. A registry's 429 becomes 429 with its Retry-After; other
 * registry failures 502 naming the registry; secret read failures 429 (throttled) or 502. No
 * credential is ever quoted.
 */
export class ImageAccess {
  private readonly verified = new BoundedCache<string, number>(MAX_VERIFIED_IMAGES);

  constructor(
    private readonly secrets: SecretSource,
    private readonly registry: ManifestChecker,
    private readonly settings: ImageAccessSettings,
    private readonly now: () => number = Date.now,
  ) {}

  async check(image: ImageReference): Promise<ImageRegistry> {
    const access = await this.registryFor(image);
    // A private ECR registry in ALLOWED_REGISTRIES is pulled by the ECS agent with the instance or
    // execution role; the gateway holds no credentials for it, and ECR refuses anonymous manifest
    // requests, so a check could only answer a misleading 422. It is skipped (README, "Registry
    // behaviour"); a missing image then fails the job with CannotPullContainerError.
    const unverifiable = access.credentials === undefined && isPrivateEcrRegistry(access.registry.name);
    if (this.settings.verifyImages && !unverifiable) await this.verify(image, access);
    return access;
  }

  /** Forgets every cached manifest check and the cached secret. */
  clear(): void {
    this.verified.clear();
    this.secrets.invalidate?.();
  }

  private async registryFor(image: ImageReference): Promise<ImageRegistry> {
    const secret = await readSecretForRequest(
      this.secrets,
      'The gateway could not read its registry credentials.',
    );
    const stored = secret.credentials.find((credential) => credential.registry.name === image.registry);
    if (stored) {
      return {
        registry: stored.registry,
        credentials: { username: stored.username, password: stored.password },
      };
    }
    const allowed = this.settings.allowedRegistries.find((registry) => registry.name === image.registry);
    if (allowed) return { registry: allowed, credentials: undefined };
    throw new HttpError(
      403,
      'Forbidden',
      `The registry ${image.registry} is not allowed: it is neither in the gateway's registry secret nor in ALLOWED_REGISTRIES.`,
    );
  }

  private async verify(image: ImageReference, access: ImageRegistry): Promise<void> {
    const checkedAt = this.verified.get(image.normalised);
    const ttlMs = this.settings.imageCacheSeconds * 1000;
    if (checkedAt !== undefined && this.now() - checkedAt < ttlMs) return;
    const reference = image.digest ?? image.tag ?? 'latest';
    let exists: boolean;
    // One deadline for the whole check; its timer is cleared as soon as the check is done.
    const deadline = new AbortController();
    const timer = setTimeout(
      () => deadline.abort(new DOMException('the registry deadline passed', 'TimeoutError')),
      this.settings.registryDeadlineMs ?? DEFAULT_REGISTRY_DEADLINE_MS,
    );
    try {
      exists = await this.registry.manifestExists(
        access.registry,
        image.repository,
        reference,
        access.credentials,
        { signal: deadline.signal },
      );
    } catch (error) {
      // Refused stored credentials may have been rotated away: read the secret afresh next time
      // instead of failing until the cache expires.
      if (error instanceof RegistryError && error.kind === 'unauthorized' && access.credentials) {
        this.secrets.invalidate?.();
      }
      throw registryFailure(error, image, access);
    } finally {
      clearTimeout(timer);
    }
    if (!exists) throw notFound(image);
    if (ttlMs > 0) this.verified.set(image.normalised, this.now());
  }
}

function notFound(image: ImageReference, cause?: unknown): HttpError {
  return new HttpError(
    422,
    'Unprocessable Content',
    `The image ${image.normalised} does not exist in the registry ${image.registry}.`,
    cause === undefined ? undefined : { cause },
  );
}

function registryFailure(error: unknown, image: ImageReference, access: ImageRegistry): HttpError {
  if (!(error instanceof RegistryError)) {
    return new HttpError(502, 'Bad Gateway', `The registry ${image.registry} could not be checked.`, {
      cause: error,
    });
  }
  switch (error.kind) {
    case 'not-found':
      if (error.status === 401 || error.status === 403) {
        return new HttpError(
          422,
          'Unprocessable Content',
          `The image ${image.normalised} does not exist in the registry ${image.registry}, or the gateway's credentials cannot read it.`,
          { cause: error },
        );
      }
      return notFound(image, error);
    case 'unauthorized':
      // Without stored credentials, a registry that asks for them (Docker Hub does for a
      // repository that is missing or private) has no such public image: the caller can fix that.
      if (access.credentials === undefined) {
        return new HttpError(
          422,
          'Unprocessable Content',
          `The image ${image.normalised} does not exist in the registry ${image.registry} or is not public.`,
          { cause: error },
        );
      }
      return new HttpError(
        502,
        'Bad Gateway',
        `The registry ${image.registry} rejected the gateway's stored credentials.`,
        { cause: error },
      );
    case 'throttled': {
      const seconds = error.retryAfterSeconds ?? REGISTRY_THROTTLE_RETRY_AFTER_SECONDS;
      return new HttpError(
        429,
        'Too Many Requests',
        `The registry ${image.registry} is throttling the gateway's requests; retry after ${seconds} seconds.`,
        { cause: error, headers: { 'retry-after': String(seconds) } },
      );
    }
    case 'timeout':
      return new HttpError(
        504,
        'Gateway Timeout',
        `The registry ${image.registry} did not answer in time; retry after ${DEADLINE_RETRY_AFTER_SECONDS} seconds.`,
        { cause: error, headers: { 'retry-after': String(DEADLINE_RETRY_AFTER_SECONDS) } },
      );
    case 'unreachable':
      return new HttpError(502, 'Bad Gateway', `The registry ${image.registry} is unreachable.`, {
        cause: error,
      });
    case 'tls':
      return new HttpError(
        502,
        'Bad Gateway',
        `The TLS connection to the registry ${image.registry} failed.`,
        {
          cause: error,
        },
      );
    case 'unexpected-status':
      // A token service's status is its own business (its realm may be anywhere): not shown.
      if (error.source === 'token-service') {
        return new HttpError(
          502,
          'Bad Gateway',
          `The token service of the registry ${image.registry} failed.`,
          { cause: error },
        );
      }
      return new HttpError(
        502,
        'Bad Gateway',
        error.status === undefined
          ? `The registry ${image.registry} answered in a way the gateway does not follow (a redirect it refuses).`
          : `The registry ${image.registry} answered with HTTP status ${error.status}.`,
        { cause: error },
      );
  }
}
