// The parameter combinations every check runs on: one row each, `--param` values as an operator
// passes them. Add a row for each new parameter that changes the template's shape (a parameter
// serverless.yml does not use yet is ignored by osls, so a row may come before its parameter).

export interface Combination {
  name: string;
  params: Record<string, string>;
}

const ACCOUNT = '123456789012';
const NETWORK = {
  subnetIds: 'subnet-0a1b2c3d4e5f60718,subnet-0b1c2d3e',
  securityGroupIds: 'sg-0a1b2c3d4e5f60718',
};

export const COMBINATIONS: Combination[] = [
  { name: 'defaults', params: { ...NETWORK } },
  {
    name: 'every existing resource passed in',
    params: {
      existingSecretArn: `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:batch-registry-credentials-AbCdEf`,
      existingLaunchTemplateId: 'lt-0a1b2c3d4e5f60718',
      existingComputeEnvironments: 'private-registry-ce,private-registry-spot',
      existingJobQueue: 'private-registry-jobs',
      jobRoleArn: `arn:aws:iam::${ACCOUNT}:role/batch-job-role`,
    },
  },
  {
    name: 'KMS key + function VPC',
    params: {
      ...NETWORK,
      secretKmsKeyArn: `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
      functionSubnetIds: 'subnet-0c1d2e3f,subnet-0d1e2f3a',
      functionSecurityGroupIds: 'sg-0b1c2d3e',
    },
  },
  { name: 'rotation schedule none', params: { ...NETWORK, rotationSchedule: 'none' } },
  { name: 'Fargate (SPEC §11)', params: { ...NETWORK, computeType: 'FARGATE' } },
  { name: 'Spot', params: { ...NETWORK, computeType: 'SPOT' } },
  { name: 'Fargate Spot', params: { ...NETWORK, computeType: 'FARGATE_SPOT', assignPublicIp: 'ENABLED' } },
  {
    name: 'alarm topic, admin principals, 48-hour stale alarm (SPEC §12, §14)',
    params: {
      ...NETWORK,
      alarmTopicArn: `arn:aws:sns:us-east-1:${ACCOUNT}:brg-alarms`,
      staleAlarmHours: '48',
      adminPrincipals: `arn:aws:iam::${ACCOUNT}:role/platform-admin`,
    },
  },
  {
    name: 'hardened: instance credentials off, KMS key',
    params: {
      ...NETWORK,
      instanceCredentials: 'false',
      secretKmsKeyArn: `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
    },
  },
];
