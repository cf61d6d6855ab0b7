// Check 1: every resource against the CloudFormation resource specification, as published in
// @aws-cdk/aws-service-spec (the CloudFormation registry schemas, machine-readable): the type
// exists, every property is known, required ones are present, values have the right shape and,
// where the schema lists them, an allowed value. Intrinsic functions stand for any value; both
// branches of an Fn::If are checked.

import { loadAwsServiceSpecSync } from '@aws-cdk/aws-service-spec';
import type { PropertyType, Resource, SpecDatabase } from '@aws-cdk/service-spec-types';
import { type Finding, intrinsic, isObject, type Json, type Template } from './template';

let database: SpecDatabase | undefined;

/** The CloudFormation resource specification (loaded once: about a second). */
export function resourceSpec(): SpecDatabase {
  database ??= loadAwsServiceSpecSync();
  return database;
}

/** The specification of a CloudFormation resource type, or undefined when there is no such type. */
export function resourceType(type: string): Resource | undefined {
  return resourceSpec().lookup('resource', 'cloudFormationType', 'equals', type)[0];
}

const RESOURCE_ATTRIBUTES = new Set([
  'Type',
  'Properties',
  'Condition',
  'DependsOn',
  'DeletionPolicy',
  'UpdateReplacePolicy',
  'UpdatePolicy',
  'CreationPolicy',
  'Metadata',
]);

const isCustom = (type: string) =>
  type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource';

/** Findings of the resource specification check for every resource of the template. */
export function checkResourceSpec(template: Template): Finding[] {
  const findings: Finding[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    const path = `Resources.${logicalId}`;
    const report = (where: string, message: string) =>
      findings.push({ check: 'resource-spec', path: where, message });
    for (const key of Object.keys(resource))
      if (!RESOURCE_ATTRIBUTES.has(key)) report(`${path}.${key}`, `unknown resource attribute ${key}`);
    if (isCustom(resource.Type)) continue;
    const spec = resourceType(resource.Type);
    if (!spec) {
      report(path, `unknown resource type ${resource.Type}`);
      continue;
    }
    checkObject(resource.Properties ?? {}, spec.properties, `${path}.Properties`, report);
  }
  return findings;
}

type Report = (path: string, message: string) => void;
type Properties = Resource['properties'];

function checkObject(value: Json, properties: Properties, path: string, report: Report): void {
  if (intrinsic(value)) {
    checkIntrinsic(value, path, (branch, at) => checkObject(branch, properties, at, report));
    return;
  }
  if (!isObject(value)) {
    report(path, `expected an object, got ${JSON.stringify(value)}`);
    return;
  }
  for (const [name, property] of Object.entries(properties))
    if (property.required && !(name in value)) report(path, `required property ${name} is missing`);
  for (const [name, item] of Object.entries(value)) {
    const property = properties[name];
    if (!property) {
      report(
        `${path}.${name}`,
        `unknown property ${name} (known: ${Object.keys(properties).sort().join(', ')})`,
      );
      continue;
    }
    const types = [property.type, ...(property.previousTypes ?? [])];
    checkAgainstAny(item, types, `${path}.${name}`, report);
  }
}

/** Fn::If: each branch must fit (AWS::NoValue always does); other intrinsics stand for any value. */
function checkIntrinsic(value: Json, path: string, check: (branch: Json, path: string) => void): void {
  const fn = intrinsic(value);
  if (fn?.name !== 'Fn::If' || !Array.isArray(fn.arg)) return;
  fn.arg.slice(1).forEach((branch, index) => {
    if (intrinsic(branch)?.name === 'Ref' && intrinsic(branch)?.arg === 'AWS::NoValue') return;
    check(branch, `${path}.Fn::If[${index + 1}]`);
  });
}

/** The value fits one of the types (a property's current type or an earlier one). */
function checkAgainstAny(value: Json, types: PropertyType[], path: string, report: Report): void {
  const attempts = types.map((type) => {
    const problems: Array<[string, string]> = [];
    checkValue(value, type, path, (where, message) => problems.push([where, message]));
    return problems;
  });
  if (attempts.some((problems) => problems.length === 0)) return;
  for (const [where, message] of attempts[0] ?? []) report(where, message);
}

function checkValue(value: Json, type: PropertyType, path: string, report: Report): void {
  if (intrinsic(value)) {
    checkIntrinsic(value, path, (branch, at) => checkValue(branch, type, at, report));
    return;
  }
  const shape = (expected: string) => report(path, `expected ${expected}, got ${JSON.stringify(value)}`);
  switch (type.type) {
    case 'string':
    case 'date-time':
      if (typeof value === 'object') {
        shape('a string');
        return;
      }
      if ('allowedValues' in type && type.allowedValues && !type.allowedValues.includes(String(value)))
        report(path, `${JSON.stringify(value)} is not one of ${type.allowedValues.join(', ')}`);
      return;
    case 'number':
    case 'integer':
      if (
        typeof value === 'number' ||
        (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value)))
      ) {
        if (type.type === 'integer' && type.allowedValues && !type.allowedValues.includes(Number(value)))
          report(path, `${JSON.stringify(value)} is not one of ${type.allowedValues.join(', ')}`);
        return;
      }
      shape(`a ${type.type}`);
      return;
    case 'boolean':
      if (typeof value === 'boolean' || value === 'true' || value === 'false') return;
      shape('a boolean');
      return;
    case 'json':
    case 'null':
      return;
    case 'tag':
      checkObject(value, TAG, path, report);
      return;
    case 'array':
      if (!Array.isArray(value)) {
        shape('a list');
        return;
      }
      value.forEach((item, index) => {
        checkValue(item, type.element, `${path}[${index}]`, report);
      });
      return;
    case 'map':
      if (!isObject(value)) {
        shape('a map');
        return;
      }
      for (const [key, item] of Object.entries(value))
        checkValue(item, type.element, `${path}.${key}`, report);
      return;
    case 'union':
      checkAgainstAny(value, type.types, path, report);
      return;
    case 'ref': {
      const definition = resourceSpec().get('typeDefinition', type.reference.$ref);
      checkObject(value, definition.properties, path, report);
      return;
    }
  }
}

const TAG: Properties = {
  Key: { type: { type: 'string' }, required: true },
  Value: { type: { type: 'string' }, required: true },
};
