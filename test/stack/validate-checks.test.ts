import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { arnFormatGlob, globsOverlap } from '../../scripts/stack/validate/glob';
import { checkIam } from '../../scripts/stack/validate/iam';
import { checkParameters } from '../../scripts/stack/validate/parameters';
import { checkReferences } from '../../scripts/stack/validate/references';
import { checkResourceSpec } from '../../scripts/stack/validate/resource-spec';
import type { Finding, Template } from '../../scripts/stack/validate/template';

// A deliberately broken template: each check must report each of its faults.
const broken = (): Template =>
  JSON.parse(
    readFileSync(join(__dirname, '..', 'fixtures', 'stack', 'broken-template.json'), 'utf8'),
  ) as Template;
const lines = (findings: Finding[]) => findings.map((finding) => `${finding.path}: ${finding.message}`);

describe('the resource specification check', () => {
  it.each([
    ['an unknown property', 'Resources.Queue.Properties.MessageRetention: unknown property MessageRetention'],
    [
      'a value of the wrong shape',
      'Resources.Queue.Properties.SqsManagedSseEnabled: expected a boolean, got "yes"',
    ],
    ['a value outside the enum', 'Resources.JobQueue.Properties.State: "ON" is not one of DISABLED, ENABLED'],
    ['a missing required property', 'Resources.JobQueue.Properties: required property Priority is missing'],
    [
      'an unknown resource type',
      'Resources.Environment: unknown resource type AWS::Batch::ComputeEnviroment',
    ],
  ])('reports %s', (_, expected) => {
    const found = lines(checkResourceSpec(broken()));

    expect(found.some((line) => line.startsWith(expected))).toBe(true);
  });
});

describe('the reference check', () => {
  it.each([
    [
      'a dangling Ref',
      'Resources.JobQueue.Properties.ComputeEnvironmentOrder[0].ComputeEnvironment: Ref to MissingComputeEnvironment',
    ],
    [
      'a GetAtt of an attribute the type lacks',
      'Resources.Topic.Properties.KmsMasterKeyId: AWS::SQS::Queue has no attribute Nope',
    ],
    ['a dangling Fn::Sub variable', 'Resources.Topic.Properties.DisplayName.Fn::Sub: Ref to Missing,'],
    [
      'an Fn::Sub attribute the type lacks',
      'Resources.Topic.Properties.DisplayName.Fn::Sub: AWS::SQS::Queue has no attribute NoSuchAttribute',
    ],
    [
      'an undefined condition in Fn::If',
      'Resources.Topic.Properties.TopicName.Fn::If: condition AlsoMissing is not defined',
    ],
    [
      'an undefined resource condition',
      'Resources.JobQueue.Condition: condition NoSuchCondition is not defined',
    ],
    [
      'a dangling Ref in a rule',
      'Rules.SubnetsGiven.Assertions[0].Assert.Fn::Not[0].Fn::Contains[0]: Ref to NoSuchParameter',
    ],
  ])('reports %s', (_, expected) => {
    const found = lines(checkReferences(broken()));

    expect(found.some((line) => line.startsWith(expected))).toBe(true);
  });

  it('accepts the fixture references that do resolve', () => {
    const found = lines(checkReferences(broken()));

    expect(found.filter((line) => line.startsWith('Outputs.'))).toEqual([]);
    expect(found).toHaveLength(7);
  });
});

describe('the IAM check', () => {
  const statement = (index: number) =>
    `Resources.Role.Properties.Policies[0].PolicyDocument.Statement[${index}]`;

  it.each([
    ['a misspelt action', `${statement(0)}.Action: batch:SubmitJobs: no such action`],
    [
      'a resource of a type the action does not take',
      `${statement(1)}.Resource: arn:aws:secretsmanager:us-east-1:123456789012:secret:x is no resource sqs:SendMessage accepts`,
    ],
    [
      'an ARN on an action without resource-level permissions',
      `${statement(2)}.Resource: batch:DescribeJobs has no resource-level permissions`,
    ],
    [
      '"*" on an action with resource-level permissions',
      `${statement(3)}.Resource: sqs:ReceiveMessage takes resources of type queue: "*" grants more than needed`,
    ],
    [
      'a Ref that gives a URL, not an ARN',
      `${statement(4)}.Resource: Ref Queue gives the AWS::SQS::Queue's name or id, not its ARN`,
    ],
    ['an unknown condition key', `${statement(5)}.Condition: condition key batch:NoSuchKey does not exist`],
    [
      'a required resource type granted nowhere',
      `${statement(5)}: batch:SubmitJob also needs a resource of type job `,
    ],
  ])('reports %s', async (_, expected) => {
    const found = lines(await checkIam(broken()));

    expect(found.some((line) => line.startsWith(expected))).toBe(true);
  });

  it('checks trust policies too, and finds nothing wrong with sts:AssumeRole for a service', async () => {
    const found = lines(await checkIam(broken()));

    expect(found.filter((line) => line.includes('AssumeRolePolicyDocument'))).toEqual([]);
  });
});

describe('the parameter check', () => {
  it('reports a parameter without a description or rules, a value its own rules refuse, and a rule it cannot evaluate', () => {
    expect(lines(checkParameters(broken()))).toEqual([
      'Parameters.QueueName: has no Description',
      'Parameters.QueueName: has no AllowedValues or AllowedPattern (or, for a Number, MinValue and MaxValue)',
      'Parameters.LaunchTemplateId: its value is refused by its own rules: "launch-template-1" does not match lt-[0-9a-f]{17}',
      'Rules.SubnetsGiven: cannot evaluate: Ref to unknown NoSuchParameter',
    ]);
  });
});

describe('globsOverlap', () => {
  it.each([
    ['arn:aws:logs:r:a:log-group:/aws/lambda/f:*', 'arn:aws:logs:r:a:log-group:*:log-stream:*', true],
    ['arn:aws:batch:r:a:job-definition/brg-test-*', 'arn:aws:batch:r:a:job-definition/*', true],
    ['arn:aws:batch:r:a:job-definition/brg-test-*', 'arn:aws:batch:r:a:job-queue/*', false],
    ['arn:aws:sqs:r:a:queue', 'arn:aws:sqs:r:a:queue?', false],
    ['arn:aws:sqs:r:a:q?eue', 'arn:aws:sqs:r:a:qu*', true],
    ['*', 'arn:aws:iam::a:role/*', true],
  ])('%s and %s overlap: %s', (left, right, expected) => {
    expect(globsOverlap(left, right)).toBe(expected);
    expect(globsOverlap(right, left)).toBe(expected);
  });

  it('turns an ARN format into a glob, filling the known parts', () => {
    expect(
      arnFormatGlob('arn:${Partition}:batch:${Region}:${Account}:job/${JobId}', { Partition: 'aws' }),
    ).toBe('arn:aws:batch:*:*:job/*');
  });
});
