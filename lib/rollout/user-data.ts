// INTERFACE STUB: implemented by the boot user data work (issue 4, part 1). Signatures are fixed.

export interface UserDataInput {
  /** The secret's full ARN. */
  readonly secretArn: string;
  /** The secret version the instances read: pinned by id, or (only for the stack's first launch template version) by stage. */
  readonly secretVersion: { readonly versionId: string } | { readonly versionStage: 'AWSCURRENT' };
}

/** Renders the MIME multi-part boot user data (plain text, not base64). Holds no credential. */
export function renderUserData(_input: UserDataInput): string {
  throw new Error('not implemented');
}
