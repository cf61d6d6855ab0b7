import { createHash } from 'node:crypto';
import {
  CreateLaunchTemplateVersionCommand,
  DeleteLaunchTemplateVersionsCommand,
  DescribeLaunchTemplateVersionsCommand,
  type EC2Client,
  ModifyLaunchTemplateCommand,
} from '@aws-sdk/client-ec2';

/** One version of the launch template, as far as the rollout cares. */
export interface LaunchTemplateVersionInfo {
  readonly versionNumber: number;
  readonly description: string | undefined;
  readonly isDefault: boolean;
}

/** The launch template and all its versions, newest first. */
export interface LaunchTemplateState {
  readonly launchTemplateId: string;
  readonly launchTemplateName: string | undefined;
  readonly versions: readonly LaunchTemplateVersionInfo[];
}

const DESCRIPTION_PREFIX = 'batch-registry-gateway: registry secret version ';

/** The version description that names secret version V; how a retry finds the version it made. */
export function versionDescriptionFor(secretVersionId: string): string {
  return `${DESCRIPTION_PREFIX}${secretVersionId}`;
}

/**
 * The idempotency token for the launch template version of secret version V made from source
 * version S: 64 hex characters (EC2 allows up to 64 ASCII characters), the same on every retry.
 * S is part of it so that V rolled out again over a newer version (a redeploy, an AMI change)
 * makes a new version instead of EC2 handing back the old one.
 */
export function clientTokenFor(
  launchTemplateId: string,
  secretVersionId: string,
  sourceVersion: number,
): string {
  return createHash('sha256')
    .update(`${launchTemplateId}\n${secretVersionId}\n${sourceVersion}`)
    .digest('hex');
}

/**
 * The newest version, if its description names secret version V (SPEC §6: only then is it
 * reused; an older version naming V would undo whatever changed the template since).
 */
export function findVersionFor(
  state: LaunchTemplateState,
  secretVersionId: string,
): LaunchTemplateVersionInfo | undefined {
  const newest = state.versions[0];
  return newest?.description === versionDescriptionFor(secretVersionId) ? newest : undefined;
}

/**
 * The latest version's number: what a new version is built from. CloudFormation's update of an
 * `AWS::EC2::LaunchTemplate` adds a new latest version without moving the default
 * (cloudformation-coverage-roadmap issue 1518), so the latest, not the default, carries the
 * stack's current launch template data (AMI, metadata options, block devices).
 */
export function latestVersionOf(state: LaunchTemplateState): number {
  const latest = state.versions[0];
  if (!latest) throw new Error(`Launch template ${state.launchTemplateId} reported no versions`);
  return latest.versionNumber;
}

/** Whether any version's description names secret version V. */
export function hasVersionFor(state: LaunchTemplateState, secretVersionId: string): boolean {
  return state.versions.some((version) => version.description === versionDescriptionFor(secretVersionId));
}

/** The default version's number; throws when EC2 reported none. */
export function defaultVersionOf(state: LaunchTemplateState): number {
  const version = state.versions.find((candidate) => candidate.isDefault);
  if (!version) throw new Error(`Launch template ${state.launchTemplateId} reported no default version`);
  return version.versionNumber;
}

/**
 * Reads every version of the launch template (DescribeLaunchTemplateVersions, paginated), newest
 * first. The launch template data (user data included) is dropped here and never logged.
 */
export async function describeLaunchTemplate(
  ec2: EC2Client,
  launchTemplateId: string,
): Promise<LaunchTemplateState> {
  const versions: LaunchTemplateVersionInfo[] = [];
  let launchTemplateName: string | undefined;
  let nextToken: string | undefined;
  do {
    const page = await ec2.send(
      new DescribeLaunchTemplateVersionsCommand({
        LaunchTemplateId: launchTemplateId,
        MaxResults: 200,
        NextToken: nextToken,
      }),
    );
    for (const version of page.LaunchTemplateVersions ?? []) {
      if (version.VersionNumber === undefined) continue;
      launchTemplateName ??= version.LaunchTemplateName;
      versions.push({
        versionNumber: version.VersionNumber,
        description: version.VersionDescription,
        isDefault: version.DefaultVersion === true,
      });
    }
    nextToken = page.NextToken;
  } while (nextToken);
  versions.sort((a, b) => b.versionNumber - a.versionNumber);
  return { launchTemplateId, launchTemplateName, versions };
}

/**
 * Creates the launch template version for secret version V from `sourceVersion` with only the
 * user data replaced (CreateLaunchTemplateVersion: the new version inherits every other parameter
 * of the source version). The ClientToken makes a retried call return
 * the version the first call created. Returns its version number.
 */
export async function createLaunchTemplateVersion(
  ec2: EC2Client,
  input: {
    readonly launchTemplateId: string;
    readonly sourceVersion: number;
    readonly secretVersionId: string;
    readonly userData: string;
  },
): Promise<number> {
  const response = await ec2.send(
    new CreateLaunchTemplateVersionCommand({
      LaunchTemplateId: input.launchTemplateId,
      SourceVersion: String(input.sourceVersion),
      VersionDescription: versionDescriptionFor(input.secretVersionId),
      ClientToken: clientTokenFor(input.launchTemplateId, input.secretVersionId, input.sourceVersion),
      LaunchTemplateData: { UserData: Buffer.from(input.userData, 'utf8').toString('base64') },
    }),
  );
  const versionNumber = response.LaunchTemplateVersion?.VersionNumber;
  if (versionNumber === undefined) {
    throw new Error(`CreateLaunchTemplateVersion on ${input.launchTemplateId} returned no version number`);
  }
  return versionNumber;
}

/** Makes `versionNumber` the launch template's default version (ModifyLaunchTemplate). */
export async function setDefaultVersion(
  ec2: EC2Client,
  launchTemplateId: string,
  versionNumber: number,
): Promise<void> {
  await ec2.send(
    new ModifyLaunchTemplateCommand({
      LaunchTemplateId: launchTemplateId,
      DefaultVersion: String(versionNumber),
    }),
  );
}

/** A version EC2 would not delete, with its error code. */
export interface UndeletedVersion {
  readonly versionNumber: number | undefined;
  readonly code: string | undefined;
  readonly message: string | undefined;
}

/**
 * Deletes launch template versions (DeleteLaunchTemplateVersions, at most 200 per call). Versions
 * EC2 refuses are returned, not thrown; a failed call throws.
 */
export async function deleteLaunchTemplateVersions(
  ec2: EC2Client,
  launchTemplateId: string,
  versionNumbers: readonly number[],
): Promise<{ deleted: number[]; undeleted: UndeletedVersion[] }> {
  const deleted: number[] = [];
  const undeleted: UndeletedVersion[] = [];
  for (let start = 0; start < versionNumbers.length; start += 200) {
    const batch = versionNumbers.slice(start, start + 200);
    const response = await ec2.send(
      new DeleteLaunchTemplateVersionsCommand({
        LaunchTemplateId: launchTemplateId,
        Versions: batch.map(String),
      }),
    );
    for (const ok of response.SuccessfullyDeletedLaunchTemplateVersions ?? []) {
      if (ok.VersionNumber !== undefined) deleted.push(ok.VersionNumber);
    }
    for (const failed of response.UnsuccessfullyDeletedLaunchTemplateVersions ?? []) {
      undeleted.push({
        versionNumber: failed.VersionNumber,
        code: failed.ResponseError?.Code,
        message: failed.ResponseError?.Message,
      });
    }
  }
  return { deleted, undeleted };
}
