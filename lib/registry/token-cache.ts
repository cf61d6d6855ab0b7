import { createHmac, randomBytes } from 'node:crypto';
import type { BasicCredentials } from './registry-error';

/** Token lifetime when the token service gives no `expires_in` (Docker token spec default). */
export const DEFAULT_TOKEN_SECONDS = 60;
/** A token is renewed this long before it expires, so it never expires in flight. */
const TOKEN_EXPIRY_MARGIN_SECONDS = 5;
const DEFAULT_MAX_TOKENS = 1000;

/**
 * Bearer tokens per (registry API base, scope, credentials), reused until shortly before they
 * expire. Keys are an HMAC under a per-instance random key, so no credential sits in a readable
 * map key; the map is bounded (expired entries go first, then the oldest).
 */
export class TokenCache {
  private readonly tokens = new Map<string, { readonly token: string; readonly expiresAt: number }>();
  private readonly keySecret = randomBytes(32);

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxTokens = DEFAULT_MAX_TOKENS,
  ) {}

  /** The cached token, or undefined when there is none or it is about to expire. */
  get(
    apiBase: string,
    scope: string | undefined,
    credentials: BasicCredentials | undefined,
  ): string | undefined {
    const key = this.key(apiBase, scope, credentials);
    const entry = this.tokens.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt > this.now()) return entry.token;
    this.tokens.delete(key);
    return undefined;
  }

  /**
   * Keeps a token issued at `issuedAt` (ms) for `lifetimeSeconds` less a margin (at least half
   * its lifetime).
   */
  set(
    apiBase: string,
    scope: string | undefined,
    credentials: BasicCredentials | undefined,
    token: string,
    issuedAt: number,
    lifetimeSeconds: number,
  ): void {
    const usable = Math.max(lifetimeSeconds - TOKEN_EXPIRY_MARGIN_SECONDS, lifetimeSeconds / 2);
    if (this.tokens.size >= this.maxTokens) {
      const now = this.now();
      for (const [cachedKey, entry] of this.tokens) if (entry.expiresAt <= now) this.tokens.delete(cachedKey);
      const oldest = this.tokens.keys().next();
      if (this.tokens.size >= this.maxTokens && !oldest.done) this.tokens.delete(oldest.value);
    }
    this.tokens.set(this.key(apiBase, scope, credentials), { token, expiresAt: issuedAt + usable * 1000 });
  }

  /** How many tokens are held (expired ones included until they are next looked at). */
  get size(): number {
    return this.tokens.size;
  }

  private key(apiBase: string, scope: string | undefined, credentials: BasicCredentials | undefined): string {
    return createHmac('sha256', this.keySecret)
      .update(
        JSON.stringify([apiBase, scope ?? '', credentials?.username ?? '', credentials?.password ?? '']),
      )
      .digest('hex');
  }
}
