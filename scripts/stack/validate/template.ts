// A packaged CloudFormation template, and the few rules of CloudFormation's language the checks
// need: which keys are intrinsic functions, and how to evaluate one for a known set of parameter
// values (the defaults `serverless package` baked in), so a check sees what a deploy would see.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface TemplateResource {
  Type: string;
  Properties?: JsonObject;
  Condition?: string;
  DependsOn?: string | string[];
  [attribute: string]: Json | undefined;
}

export interface TemplateParameter {
  Type: string;
  Default?: string | number;
  Description?: string;
  AllowedValues?: Array<string | number>;
  AllowedPattern?: string;
  MinLength?: number;
  MaxLength?: number;
  MinValue?: number;
  MaxValue?: number;
  ConstraintDescription?: string;
}

export interface Template {
  Parameters?: Record<string, TemplateParameter>;
  Conditions?: Record<string, Json>;
  Mappings?: Record<string, Json>;
  Resources: Record<string, TemplateResource>;
  Outputs?: Record<string, JsonObject>;
  Rules?: Record<string, JsonObject>;
  [section: string]: Json | undefined | Record<string, unknown>;
}

export type CheckName = 'resource-spec' | 'references' | 'iam' | 'parameters';

/** One problem a check found; `path` says where in the template (Resources.X.Properties.Y...). */
export interface Finding {
  check: CheckName;
  path: string;
  message: string;
}

export const isObject = (value: Json | undefined): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The name and argument of an intrinsic function (`Ref`, `Fn::*`, `Condition`), if `value` is one. */
export function intrinsic(value: Json | undefined): { name: string; arg: Json } | undefined {
  if (!isObject(value)) return undefined;
  const keys = Object.keys(value);
  const [name] = keys;
  if (keys.length !== 1 || name === undefined) return undefined;
  if (name !== 'Ref' && name !== 'Condition' && !name.startsWith('Fn::')) return undefined;
  return { name, arg: value[name] as Json };
}

export const PSEUDO_PARAMETERS = new Set([
  'AWS::AccountId',
  'AWS::NotificationARNs',
  'AWS::NoValue',
  'AWS::Partition',
  'AWS::Region',
  'AWS::StackId',
  'AWS::StackName',
  'AWS::URLSuffix',
]);

/** The account and region the checks deploy into, on paper. */
export const DEPLOY_CONTEXT = { partition: 'aws', region: 'us-east-1', accountId: '123456789012' };

/** `${Name}` and `${Name.Attr}` variables of an Fn::Sub string (`${!Literal}` is not one). */
export function subVariables(text: string): string[] {
  return [...text.matchAll(/\$\{([^!}][^}]*)\}/g)].map((match) => match[1] as string);
}

/** Sentinel for `{ Ref: AWS::NoValue }`: the property or list element is left out. */
export const NO_VALUE = Symbol('AWS::NoValue');
export type Value = string | string[] | typeof NO_VALUE;

/** How the evaluator names a resource it cannot know the value of (its ARN or id comes at deploy). */
export interface ResourceValues {
  ref(logicalId: string): string;
  getAtt(logicalId: string, attribute: string): string;
}

export class EvaluationError extends Error {
  override name = 'EvaluationError';
}

/**
 * Evaluates intrinsic functions with the template's parameter defaults and conditions, the way
 * CloudFormation would at deploy. Resource values come from `resources` (the IAM check renders
 * them as ARN patterns). Throws EvaluationError on what it cannot evaluate.
 */
export class Evaluator {
  private readonly conditionCache = new Map<string, boolean>();

  constructor(
    private readonly template: Template,
    private readonly resources: ResourceValues,
  ) {}

  condition(name: string): boolean {
    const cached = this.conditionCache.get(name);
    if (cached !== undefined) return cached;
    const definition = this.template.Conditions?.[name];
    if (definition === undefined) throw new EvaluationError(`no condition ${name}`);
    const result = this.holds(definition);
    this.conditionCache.set(name, result);
    return result;
  }

  /** Evaluates a condition or rule expression (Fn::Equals, Fn::Not, Fn::And, Fn::Or, Fn::Contains). */
  holds(expression: Json): boolean {
    const fn = intrinsic(expression);
    const args = Array.isArray(fn?.arg) ? fn.arg : [];
    switch (fn?.name) {
      case 'Condition':
        return this.condition(String(fn.arg));
      case 'Fn::Equals':
        return JSON.stringify(this.value(args[0] ?? null)) === JSON.stringify(this.value(args[1] ?? null));
      case 'Fn::Not':
        return !this.holds(args[0] ?? null);
      case 'Fn::And':
        return args.every((arg) => this.holds(arg));
      case 'Fn::Or':
        return args.some((arg) => this.holds(arg));
      case 'Fn::Contains': {
        const list = this.value(args[0] ?? null);
        return Array.isArray(list) && list.includes(this.scalar(args[1] ?? null));
      }
      default:
        throw new EvaluationError(`not a condition: ${JSON.stringify(expression)}`);
    }
  }

  /** Drops the branches Fn::If does not take (and AWS::NoValue), leaving the deployed shape. */
  resolveConditions(value: Json): Json | typeof NO_VALUE {
    const fn = intrinsic(value);
    if (fn?.name === 'Fn::If' && Array.isArray(fn.arg)) {
      const [name, whenTrue, whenFalse] = fn.arg;
      return this.resolveConditions((this.condition(String(name)) ? whenTrue : whenFalse) ?? null);
    }
    if (fn?.name === 'Ref' && fn.arg === 'AWS::NoValue') return NO_VALUE;
    if (Array.isArray(value))
      return value
        .map((item) => this.resolveConditions(item))
        .filter((item): item is Json => item !== NO_VALUE);
    if (isObject(value) && !fn) {
      const result: JsonObject = {};
      for (const [key, item] of Object.entries(value)) {
        const resolved = this.resolveConditions(item);
        if (resolved !== NO_VALUE) result[key] = resolved;
      }
      return result;
    }
    return value;
  }

  /** The string (or list) an expression evaluates to. */
  value(expression: Json): Value {
    if (typeof expression === 'string') return expression;
    if (typeof expression === 'number' || typeof expression === 'boolean') return String(expression);
    if (Array.isArray(expression)) return expression.map((item) => this.scalar(item));
    const fn = intrinsic(expression);
    if (!fn) throw new EvaluationError(`cannot evaluate ${JSON.stringify(expression)}`);
    const args = Array.isArray(fn.arg) ? fn.arg : [];
    switch (fn.name) {
      case 'Ref':
        return this.ref(String(fn.arg));
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = Array.isArray(fn.arg)
          ? fn.arg.map(String)
          : String(fn.arg).split(/\.(.*)/);
        return this.resources.getAtt(String(logicalId), String(attribute));
      }
      case 'Fn::If':
        return this.value((this.condition(String(args[0])) ? args[1] : args[2]) ?? null);
      case 'Fn::Sub':
        return this.sub(fn.arg);
      case 'Fn::Join': {
        const list = this.value(args[1] ?? null);
        return (Array.isArray(list) ? list : [this.scalar(args[1] ?? null)]).join(String(args[0]));
      }
      case 'Fn::Split':
        return this.scalar(args[1] ?? null).split(String(args[0]));
      case 'Fn::Select': {
        const list = this.value(args[1] ?? null);
        const item = Array.isArray(list) ? list[Number(this.scalar(args[0] ?? null))] : undefined;
        if (item === undefined)
          throw new EvaluationError(`Fn::Select out of range: ${JSON.stringify(fn.arg)}`);
        return item;
      }
      default:
        throw new EvaluationError(`cannot evaluate ${fn.name}`);
    }
  }

  scalar(expression: Json): string {
    const value = this.value(expression);
    if (typeof value !== 'string')
      throw new EvaluationError(`expected a string: ${JSON.stringify(expression)}`);
    return value;
  }

  private ref(name: string): Value {
    switch (name) {
      case 'AWS::NoValue':
        return NO_VALUE;
      case 'AWS::Partition':
        return DEPLOY_CONTEXT.partition;
      case 'AWS::Region':
        return DEPLOY_CONTEXT.region;
      case 'AWS::AccountId':
        return DEPLOY_CONTEXT.accountId;
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return 'stack';
    }
    const parameter = this.template.Parameters?.[name];
    if (parameter) {
      const value = String(parameter.Default ?? '');
      return parameter.Type.includes('List') ? value.split(',') : value;
    }
    if (this.template.Resources[name]) return this.resources.ref(name);
    throw new EvaluationError(`Ref to unknown ${name}`);
  }

  private sub(arg: Json): string {
    const [text, variables] = Array.isArray(arg) ? arg : [arg, {}];
    const locals = isObject(variables ?? null) ? (variables as JsonObject) : {};
    return String(text)
      .replace(/\$\{([^!}][^}]*)\}/g, (_, name: string) => {
        if (name in locals) return this.scalar(locals[name] ?? null);
        if (!name.includes('.') || name.startsWith('AWS::')) return this.scalar({ Ref: name });
        const [logicalId, attribute] = name.split(/\.(.*)/);
        return this.resources.getAtt(String(logicalId), String(attribute));
      })
      .replaceAll('${!', '${');
  }
}
