// The stack's offline deploy checks, shared by the jest suites (test/stack/) and `npm run validate`.

import { checkIam } from './iam';
import { checkParameters } from './parameters';
import { checkReferences } from './references';
import { checkResourceSpec } from './resource-spec';
import { type CheckName, type Finding, isObject, type Json, type Template } from './template';

export const CHECKS: Record<CheckName, string> = {
  'resource-spec': 'every resource against the CloudFormation resource specification',
  references: 'every Ref, Fn::GetAtt, Fn::Sub variable and condition resolves',
  iam: 'every IAM action and resource against the Service Authorization Reference',
  parameters: 'every parameter described and constrained, and its value allowed',
};

/** Every finding of every check for one packaged template (empty: nothing to fix). */
export async function validateTemplate(template: Template): Promise<Finding[]> {
  return [
    ...checkResourceSpec(template),
    ...checkReferences(template),
    ...(await checkIam(template)),
    ...checkParameters(template),
  ];
}

/** What the checks looked at, for the report: resources by type, IAM statements and actions. */
export function summarize(template: Template): {
  resources: number;
  types: string[];
  statements: number;
  actions: string[];
} {
  const types = [...new Set(Object.values(template.Resources).map((resource) => resource.Type))].sort();
  const actions = new Set<string>();
  let statements = 0;
  const walk = (value: Json | undefined): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (isObject(value)) {
      if (typeof value.Effect === 'string' && value.Action !== undefined) {
        statements += 1;
        for (const action of [value.Action].flat()) actions.add(String(action));
      }
      Object.values(value).forEach(walk);
    }
  };
  for (const resource of Object.values(template.Resources)) walk(resource.Properties);
  return {
    resources: Object.keys(template.Resources).length,
    types,
    statements,
    actions: [...actions].sort(),
  };
}

export { COMBINATIONS, type Combination } from './combinations';
export { PackageError, packageStack, packageTemplate } from './package';
export type { Finding, Template } from './template';
