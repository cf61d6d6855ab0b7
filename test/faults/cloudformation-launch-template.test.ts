import type { ResponseLaunchTemplateData } from '@aws-sdk/client-ec2';
import { rollout } from '../../lib/rollout/rollout';
import { renderUserData } from '../../lib/rollout/user-data';
import { makeDeps, SECRET_STRING, SETTINGS } from '../lib/rollout/fakes';
import { batchMock, decodedUserData, ec2Mock, FakeAws, SECRET_ARN, secretsMock } from './fake-aws';

// CloudFormation's update of an AWS::EC2::LaunchTemplate creates a new latest version with the
// template's data and leaves the default where it was (cloudformation-coverage-roadmap issue
// 1518). The fake EC2 builds a version from SourceVersion as CreateLaunchTemplateVersion does
// (inherits every parameter, the given ones overwrite).

const V = 'b7c1e4a2-3f5d-4e8a-9c21-6d0f2a4b8e11';
const ENVIRONMENTS = ['ce-ondemand', 'ce-spot'];
const EDITED: ResponseLaunchTemplateData = {
  ImageId: 'ami-0a1b2c3d4e5f60718',
  MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 2, HttpEndpoint: 'enabled' },
  BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { VolumeSize: 100, VolumeType: 'gp3' } }],
  // The stack's initial user data: it reads AWSCURRENT, not a pinned version.
  UserData: Buffer.from(
    renderUserData({ secretArn: SECRET_ARN, secretVersion: { versionStage: 'AWSCURRENT' } }),
  ).toString('base64'),
};

function deps() {
  return makeDeps({ renderUserData, settings: { ...SETTINGS, computeEnvironments: ENVIRONMENTS } });
}

describe('a stack update that edits the launch template (CloudFormation: new latest version, default unmoved)', () => {
  let fake: FakeAws;
  beforeEach(async () => {
    ec2Mock.reset();
    batchMock.reset();
    secretsMock.reset();
    fake = new FakeAws({ versions: 3, environments: ENVIRONMENTS });
    fake.updatingDescribes = 0;
    fake.addSecretVersion(V, SECRET_STRING, ['AWSCURRENT']);
    fake.install();
    await rollout(deps(), { secretArn: SECRET_ARN, secretVersionId: V });
  });

  it('reaches the fleet once: the next reconcile builds from the edited version and pins V', async () => {
    const edited = fake.cloudFormationUpdate(structuredClone(EDITED), 'initial version');
    const updatesBefore = fake.appliedUpdates.length;

    const reconciled = await rollout(deps(), { secretArn: SECRET_ARN, secretVersionId: V });
    const again = await rollout(deps(), { secretArn: SECRET_ARN, secretVersionId: V });

    expect(edited).toBe(5);
    expect(fake.defaultVersion).toBe(6);
    const published = fake.versions.find((version) => version.versionNumber === 6);
    expect(published?.data).toMatchObject({
      ImageId: EDITED.ImageId,
      MetadataOptions: EDITED.MetadataOptions,
      BlockDeviceMappings: EDITED.BlockDeviceMappings,
    });
    expect(decodedUserData(published ?? { userData: undefined })).toContain(`SECRET_VERSION_ID='${V}'`);
    expect(reconciled).toMatchObject({ launchTemplateVersion: 6, createdLaunchTemplateVersion: true });
    // One infrastructure update per compute environment for the edit, none for the rerun.
    expect(fake.appliedUpdates.slice(updatesBefore)).toEqual(
      ENVIRONMENTS.map((computeEnvironment) => ({ computeEnvironment, version: '6' })),
    );
    expect(again.createdLaunchTemplateVersion).toBe(false);
    expect(again.computeEnvironments.map((ce) => ce.outcome.kind)).toEqual(['skipped', 'skipped']);
  });
});
