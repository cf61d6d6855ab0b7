import { ConfigError, HttpError } from '../errors';
import type { HttpEvent } from '../http';
import { adminOwnerKey, type Caller, ownerKeyOf } from './owner';

export interface CallerSettings {
  /** ADMIN_PRINCIPALS as configured: owner keys or role ARNs. */
  readonly adminPrincipals: readonly string[];
  /** BRG_LOCAL_CALLER: set only by the local stack, where IAM is off; then every caller is this. */
  readonly localCaller: string | undefined;
}

/**
 * Tells who sent a request (SPEC §14): the IAM principal from the payload 2.0 authorizer context
 * (`requestContext.authorizer.iam.userArn`), or the local stack's caller when IAM is off. Built
 * once per container; throws ConfigError naming every ADMIN_PRINCIPALS entry that is no principal.
 */
export class Callers {
  private readonly admins: ReadonlySet<string>;
  private readonly localCaller: string | undefined;

  constructor(settings: CallerSettings) {
    const problems: string[] = [];
    const admins = new Set<string>();
    settings.adminPrincipals.forEach((entry, index) => {
      const key = adminOwnerKey(entry);
      if (key === undefined) {
        problems.push(
          `ADMIN_PRINCIPALS entry ${index + 1} must be an IAM role, assumed-role, user, root or federated-user ARN`,
        );
      } else admins.add(key);
    });
    if (settings.localCaller !== undefined && adminOwnerKey(settings.localCaller) === undefined) {
      problems.push('BRG_LOCAL_CALLER must be an IAM principal ARN');
    }
    if (problems.length > 0) throw new ConfigError(problems);
    this.admins = admins;
    this.localCaller = settings.localCaller;
  }

  /** The caller of a principal ARN. */
  of(principalArn: string): Caller {
    const ownerKey = ownerKeyOf(principalArn);
    return { principalArn, ownerKey, admin: this.admins.has(ownerKey) };
  }

  /**
   * The caller of a request. Throws HttpError 403 when the request carries no IAM identity (API
   * Gateway's IAM authorizer always gives one; only a misconfigured route could lack it).
   */
  fromEvent(event: HttpEvent): Caller {
    if (this.localCaller !== undefined) return this.of(this.localCaller);
    const principalArn = event.requestContext?.authorizer?.iam?.userArn;
    if (typeof principalArn !== 'string' || principalArn === '') {
      throw new HttpError(403, 'Forbidden', 'The request carries no IAM identity; sign it with SigV4.');
    }
    return this.of(principalArn);
  }
}
