import { ListSecretsCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { FoundCredentialSecret } from './plan';

/**
 * Every secret whose name starts with the prefix, those scheduled for deletion included
 * (ListSecrets with a name filter, all pages of 100). ListSecrets has no resource-level
 * permission; the filter is a prefix match, checked again here.
 */
export async function listCredentialSecrets(
  client: SecretsManagerClient,
  prefix: string,
): Promise<FoundCredentialSecret[]> {
  const found: FoundCredentialSecret[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new ListSecretsCommand({
        Filters: [{ Key: 'name', Values: [prefix] }],
        IncludePlannedDeletion: true,
        MaxResults: 100,
        ...(nextToken ? { NextToken: nextToken } : {}),
      }),
    );
    for (const entry of page.SecretList ?? []) {
      if (!entry.Name || !entry.ARN || !entry.Name.startsWith(prefix)) continue;
      found.push({
        name: entry.Name,
        arn: entry.ARN,
        tags: Object.fromEntries((entry.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? ''])),
        scheduledForDeletion: entry.DeletedDate !== undefined,
      });
    }
    nextToken = page.NextToken;
  } while (nextToken);
  return found;
}
