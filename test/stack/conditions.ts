// The template CloudFormation would deploy from a packaged one: conditions evaluated (parameters
// at their defaults), resources whose condition is false dropped, Fn::If replaced by its branch
// and AWS::NoValue removed. Only what this stack's conditions use is evaluated; anything else
// (a pseudo parameter, an unknown function) throws, so a test never passes on a guess.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Template = {
  Parameters?: Record<string, { Default?: Json }>;
  Conditions?: Record<string, Json>;
  Resources: Record<string, { Condition?: string; [key: string]: Json | undefined }>;
  Outputs?: Record<string, { Condition?: string; [key: string]: Json | undefined }>;
};

const NO_VALUE = Symbol('NoValue');

function isObject(value: Json | undefined): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function evaluateConditions(template: Template): Record<string, boolean> {
  const results: Record<string, boolean> = {};
  const scalar = (value: Json): string => {
    if (typeof value === 'string') return value;
    if (isObject(value) && typeof value.Ref === 'string') {
      const parameter = template.Parameters?.[value.Ref];
      if (!parameter) throw new Error(`cannot evaluate Ref ${value.Ref}`);
      const fallback = parameter.Default ?? '';
      return Array.isArray(fallback) ? fallback.join(',') : String(fallback);
    }
    if (isObject(value) && Array.isArray(value['Fn::Join'])) {
      const [separator, parts] = value['Fn::Join'] as [string, Json];
      const items = Array.isArray(parts) ? parts.map(scalar) : scalar(parts).split(',');
      return items.filter((item) => item !== '').join(separator);
    }
    // The nth existing compute environment: { Fn::Select: [n, { Fn::Split: [',', { Fn::Sub: '${List},,,,' }] }] }.
    if (isObject(value) && typeof value['Fn::Sub'] === 'string')
      return value['Fn::Sub'].replace(/\$\{([^}]+)\}/g, (_, name: string) => scalar({ Ref: name }));
    if (isObject(value) && Array.isArray(value['Fn::Select'])) {
      const [index, list] = value['Fn::Select'] as [Json, Json];
      const split =
        isObject(list) && Array.isArray(list['Fn::Split'])
          ? (list['Fn::Split'] as [string, Json])
          : undefined;
      const item = split ? scalar(split[1]).split(split[0])[Number(index)] : undefined;
      if (item !== undefined) return item;
    }
    throw new Error(`cannot evaluate ${JSON.stringify(value)}`);
  };
  const condition = (expression: Json): boolean => {
    if (!isObject(expression)) throw new Error(`cannot evaluate condition ${JSON.stringify(expression)}`);
    if (typeof expression.Condition === 'string') return named(expression.Condition);
    const [fn, args] = Object.entries(expression)[0] ?? [];
    const list = (Array.isArray(args) ? args : []) as Json[];
    switch (fn) {
      case 'Fn::Equals':
        return scalar(list[0] ?? '') === scalar(list[1] ?? '');
      case 'Fn::Not':
        return !condition(list[0] ?? null);
      case 'Fn::And':
        return list.every(condition);
      case 'Fn::Or':
        return list.some(condition);
      default:
        throw new Error(`cannot evaluate ${fn}`);
    }
  };
  const named = (name: string): boolean => {
    if (!(name in results)) {
      const expression = template.Conditions?.[name];
      if (expression === undefined) throw new Error(`no condition ${name}`);
      results[name] = condition(expression);
    }
    return results[name] as boolean;
  };
  for (const name of Object.keys(template.Conditions ?? {})) named(name);
  return results;
}

function resolve(value: Json, conditions: Record<string, boolean>): Json | typeof NO_VALUE {
  if (Array.isArray(value)) {
    return value.map((item) => resolve(item, conditions)).filter((item): item is Json => item !== NO_VALUE);
  }
  if (!isObject(value)) return value;
  if (value.Ref === 'AWS::NoValue') return NO_VALUE;
  const branches = value['Fn::If'];
  if (Array.isArray(branches) && Object.keys(value).length === 1) {
    const [name, whenTrue, whenFalse] = branches as [string, Json, Json];
    const holds = conditions[name];
    if (holds === undefined) throw new Error(`no condition ${name}`);
    return resolve(holds ? whenTrue : whenFalse, conditions);
  }
  const out: { [key: string]: Json } = {};
  for (const [key, item] of Object.entries(value)) {
    const resolved = resolve(item, conditions);
    if (resolved !== NO_VALUE) out[key] = resolved;
  }
  return out;
}

/** The resources (and outputs) CloudFormation would create from `template`, with every condition applied. */
export function effectiveTemplate(template: Template): {
  conditions: Record<string, boolean>;
  resources: Record<string, { Type: string; Properties: { [key: string]: Json } }>;
  outputs: Record<string, { [key: string]: Json }>;
} {
  const conditions = evaluateConditions(template);
  const keep = <T extends { Condition?: string }>(entries: Record<string, T>) =>
    Object.fromEntries(
      Object.entries(entries)
        .filter(([, entry]) => entry.Condition === undefined || conditions[entry.Condition])
        .map(([name, entry]) => [name, resolve(entry as unknown as Json, conditions)]),
    );
  return {
    conditions,
    resources: keep(template.Resources) as never,
    outputs: keep(template.Outputs ?? {}) as never,
  };
}
