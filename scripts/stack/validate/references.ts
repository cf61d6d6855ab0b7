// Check 2: every reference resolves inside the template — each Ref (a parameter, resource or
// pseudo parameter), Fn::GetAtt (a resource, and an attribute its type really has), Fn::Sub
// variable, condition name (Fn::If, Condition attributes and conditions), DependsOn and mapping.

import { resourceType } from './resource-spec';
import {
  type Finding,
  intrinsic,
  isObject,
  type Json,
  PSEUDO_PARAMETERS,
  subVariables,
  type Template,
} from './template';

/** Findings of the reference check: every dangling name, with where it is used. */
export function checkReferences(template: Template): Finding[] {
  const findings: Finding[] = [];
  const report = (path: string, message: string) => findings.push({ check: 'references', path, message });
  const parameters = new Set(Object.keys(template.Parameters ?? {}));
  const resources = template.Resources;
  const conditions = new Set(Object.keys(template.Conditions ?? {}));

  const checkRef = (name: string, path: string) => {
    if (!PSEUDO_PARAMETERS.has(name) && !parameters.has(name) && !(name in resources))
      report(path, `Ref to ${name}, which is no parameter, resource or pseudo parameter`);
  };
  const checkGetAtt = (logicalId: string, attribute: string, path: string) => {
    const resource = resources[logicalId];
    if (!resource) {
      report(path, `Fn::GetAtt of ${logicalId}, which is no resource`);
      return;
    }
    if (resource.Type.startsWith('Custom::') || resource.Type === 'AWS::CloudFormation::CustomResource')
      return;
    const attributes = Object.keys(resourceType(resource.Type)?.attributes ?? {});
    if (!attributes.includes(attribute))
      report(path, `${resource.Type} has no attribute ${attribute} (it has: ${attributes.join(', ')})`);
  };
  const checkCondition = (name: Json, path: string) => {
    if (typeof name !== 'string' || !conditions.has(name))
      report(path, `condition ${String(name)} is not defined`);
  };

  const walk = (value: Json, path: string): void => {
    const fn = intrinsic(value);
    if (fn) {
      const args = Array.isArray(fn.arg) ? fn.arg : [];
      switch (fn.name) {
        case 'Ref':
          checkRef(String(fn.arg), path);
          return;
        case 'Fn::GetAtt': {
          const [logicalId, attribute] = Array.isArray(fn.arg) ? fn.arg : String(fn.arg).split(/\.(.*)/);
          if (typeof attribute === 'string') checkGetAtt(String(logicalId), attribute, path);
          else walk(attribute ?? null, `${path}.Fn::GetAtt`);
          return;
        }
        case 'Fn::Sub': {
          const [text, variables] = Array.isArray(fn.arg) ? fn.arg : [fn.arg, {}];
          const own = new Set(isObject(variables ?? null) ? Object.keys(variables as object) : []);
          for (const variable of subVariables(String(text))) {
            if (own.has(variable)) continue;
            const [name, attribute] = variable.split(/\.(.*)/);
            if (attribute !== undefined && !String(name).startsWith('AWS::'))
              checkGetAtt(String(name), attribute, `${path}.Fn::Sub`);
            else checkRef(variable, `${path}.Fn::Sub`);
          }
          if (isObject(variables ?? null)) walk(variables ?? null, `${path}.Fn::Sub`);
          return;
        }
        case 'Fn::If':
          checkCondition(args[0] ?? null, `${path}.Fn::If`);
          args.slice(1).forEach((branch, index) => {
            walk(branch, `${path}.Fn::If[${index + 1}]`);
          });
          return;
        case 'Condition':
          checkCondition(fn.arg, path);
          return;
        case 'Fn::FindInMap':
          if (!(String(args[0]) in (template.Mappings ?? {})))
            report(path, `mapping ${String(args[0])} is not defined`);
          walk(fn.arg, `${path}.Fn::FindInMap`);
          return;
        default:
          walk(fn.arg, `${path}.${fn.name}`);
          return;
      }
    }
    if (Array.isArray(value))
      value.forEach((item, index) => {
        walk(item, `${path}[${index}]`);
      });
    else if (isObject(value)) for (const [key, item] of Object.entries(value)) walk(item, `${path}.${key}`);
  };

  for (const [name, condition] of Object.entries(template.Conditions ?? {}))
    walk(condition, `Conditions.${name}`);
  for (const [name, rule] of Object.entries(template.Rules ?? {})) walk(rule, `Rules.${name}`);
  for (const [logicalId, resource] of Object.entries(resources)) {
    const path = `Resources.${logicalId}`;
    if (resource.Condition !== undefined) checkCondition(resource.Condition, `${path}.Condition`);
    const dependsOn = resource.DependsOn === undefined ? [] : [resource.DependsOn].flat();
    for (const name of dependsOn)
      if (!(name in resources)) report(`${path}.DependsOn`, `DependsOn ${name}, which is no resource`);
    walk(resource.Properties ?? null, `${path}.Properties`);
    if (resource.UpdatePolicy !== undefined) walk(resource.UpdatePolicy, `${path}.UpdatePolicy`);
  }
  for (const [name, output] of Object.entries(template.Outputs ?? {})) {
    if (output.Condition !== undefined) checkCondition(output.Condition, `Outputs.${name}.Condition`);
    walk(output, `Outputs.${name}`);
  }
  return findings;
}
