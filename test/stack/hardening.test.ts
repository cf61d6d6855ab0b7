import { COMBINATIONS, packageTemplate, type Template } from '../../scripts/stack/validate';
import { Evaluator, type Json, type JsonObject } from '../../scripts/stack/validate/template';

// Issue 17 in the packaged stack: the secret event rule pinned to this account and region, PassRole
// only to Batch, compute environment updates only on the named ones, job definitions per stage, and
// route throttling on the HTTP API.

const combination = (name: string) => {
  const found = COMBINATIONS.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no combination ${name}`);
  return found.params;
};

let created: Template;
let existing: Template;

beforeAll(async () => {
  created = await packageTemplate(combination('defaults'));
  existing = await packageTemplate(combination('every existing resource passed in'));
}, 10 * 60_000);

/** The template's statements as deployed with its parameter values (conditions resolved). */
function statements(template: Template, role: string): JsonObject[] {
  const evaluator = new Evaluator(template, {
    ref: (id) => `{Ref ${id}}`,
    getAtt: (id, at) => `{${id}.${at}}`,
  });
  const policies = evaluator.resolveConditions(
    template.Resources[role]?.Properties?.Policies ?? [],
  ) as Json[];
  return policies.flatMap(
    (policy) => ((policy as JsonObject).PolicyDocument as JsonObject).Statement as JsonObject[],
  );
}

function resourcesOf(template: Template, role: string, action: string): string[] {
  const evaluator = new Evaluator(template, {
    ref: (id) => `{Ref ${id}}`,
    getAtt: (id, at) => `{${id}.${at}}`,
  });
  return statements(template, role)
    .filter((statement) => [statement.Action].flat().includes(action))
    .flatMap((statement) => [statement.Resource as Json].flat().map((resource) => evaluator.value(resource)))
    .flat() as string[];
}

describe('the packaged stack (issue 17)', () => {
  it('routes only secret events of its own account and region to onSecretChanged', () => {
    const [rule] = Object.values(created.Resources).filter(
      (resource) => resource.Type === 'AWS::Events::Rule' && resource.Properties?.EventPattern,
    );

    expect(rule?.Properties?.EventPattern).toMatchObject({
      source: ['aws.secretsmanager'],
      account: [{ Ref: 'AWS::AccountId' }],
      region: [{ Ref: 'AWS::Region' }],
    });
  });

  it('passes the job role and the execution role (SPEC §11) to AWS Batch only', () => {
    const [passRole, ...others] = statements(existing, 'SubmitJobRole').filter(
      (statement) => statement.Action === 'iam:PassRole',
    );

    expect(others).toEqual([]);
    expect(passRole).toMatchObject({
      Resource: ['arn:aws:iam::123456789012:role/batch-job-role', { 'Fn::GetAtt': ['ExecutionRole', 'Arn'] }],
      Condition: { StringEquals: { 'iam:PassedToService': 'batch.amazonaws.com' } },
    });
    const [withoutJobRole] = statements(created, 'SubmitJobRole').filter(
      (statement) => statement.Action === 'iam:PassRole',
    );
    expect(withoutJobRole?.Resource).toEqual([{ 'Fn::GetAtt': ['ExecutionRole', 'Arn'] }]);
  });

  it.each(['RotateSecretRole', 'OnSecretChangedRole'])(
    'lets %s update exactly the existing compute environments named, never compute-environment/*',
    (role) => {
      expect(resourcesOf(existing, role, 'batch:UpdateComputeEnvironment')).toEqual([
        'arn:aws:batch:us-east-1:123456789012:compute-environment/private-registry-ce',
        'arn:aws:batch:us-east-1:123456789012:compute-environment/private-registry-spot',
      ]);
      expect(resourcesOf(created, role, 'batch:UpdateComputeEnvironment')).toEqual([
        '{Ref ComputeEnvironment}',
      ]);
    },
  );

  it('builds one ARN for each of five existing compute environments', async () => {
    const names = ['a', 'b', 'c', 'd', 'e'];
    const template: Template = structuredClone(existing);
    (template.Parameters ?? {}).ExistingComputeEnvironments = { Type: 'String', Default: names.join(',') };

    expect(resourcesOf(template, 'RotateSecretRole', 'batch:UpdateComputeEnvironment')).toEqual(
      names.map((name) => `arn:aws:batch:us-east-1:123456789012:compute-environment/${name}`),
    );
  });

  it.each(['batch:RegisterJobDefinition', 'batch:SubmitJob', 'batch:TagResource'])(
    'grants %s on this stage’s job definitions only (brg-<stage>-*)',
    (action) => {
      const definitions = resourcesOf(created, 'SubmitJobRole', action).filter((arn) =>
        arn.includes(':job-definition/'),
      );

      expect(definitions).toEqual(['arn:aws:batch:us-east-1:123456789012:job-definition/brg-test-*']);
    },
  );

  it('throttles every route of the HTTP API with the stack parameters', () => {
    const stage = created.Resources.HttpApiStage?.Properties;

    expect(stage?.DefaultRouteSettings).toEqual({
      DetailedMetricsEnabled: false,
      ThrottlingRateLimit: { Ref: 'ThrottleRateLimit' },
      ThrottlingBurstLimit: { Ref: 'ThrottleBurstLimit' },
    });
    expect(stage?.RouteSettings).toBeUndefined();
    expect(created.Parameters?.ThrottleRateLimit?.Default).toBe('20');
    expect(created.Parameters?.ThrottleBurstLimit?.Default).toBe('40');
  });
});
