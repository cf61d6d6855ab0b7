// Check 4: every stack parameter says what it is (Description) and what it accepts (AllowedValues,
// AllowedPattern, or a number range), and its value in this combination passes those rules — so a
// wrong --param fails at the start of a deploy with CloudFormation's own message.

import {
  EvaluationError,
  Evaluator,
  type Finding,
  isObject,
  type Template,
  type TemplateParameter,
} from './template';

/**
 * Why CloudFormation would refuse `value` for `parameter`, or undefined when it accepts it. Follows
 * CloudFormation's rules: AllowedPattern must match the whole value (each element of a list),
 * AllowedValues the whole value, lengths and number ranges inclusive.
 */
export function refusal(parameter: TemplateParameter, value: string): string | undefined {
  // CloudFormation splits a list at commas and trims each element.
  const elements = parameter.Type.includes('List')
    ? value.split(',').map((element) => element.trim())
    : [value];
  if (parameter.Type === 'Number' || parameter.Type === 'List<Number>') {
    for (const element of elements) {
      const number = Number(element);
      if (element.trim() === '' || Number.isNaN(number)) return `${JSON.stringify(element)} is not a number`;
      if (parameter.MinValue !== undefined && number < parameter.MinValue)
        return `${element} is below the minimum ${parameter.MinValue}`;
      if (parameter.MaxValue !== undefined && number > parameter.MaxValue)
        return `${element} is above the maximum ${parameter.MaxValue}`;
    }
  }
  if (parameter.AllowedValues && !parameter.AllowedValues.map(String).includes(value))
    return `${JSON.stringify(value)} is not one of ${parameter.AllowedValues.join(', ')}`;
  if (parameter.MinLength !== undefined && value.length < parameter.MinLength)
    return `${JSON.stringify(value)} is shorter than ${parameter.MinLength}`;
  if (parameter.MaxLength !== undefined && value.length > parameter.MaxLength)
    return `${JSON.stringify(value)} is longer than ${parameter.MaxLength}`;
  if (parameter.AllowedPattern !== undefined) {
    const pattern = new RegExp(`^(?:${parameter.AllowedPattern})$`);
    for (const element of elements)
      if (!pattern.test(element))
        return `${JSON.stringify(element)} does not match ${parameter.AllowedPattern}`;
  }
  return undefined;
}

/** Whether the parameter has any rule that can refuse a value. */
function hasRules(parameter: TemplateParameter): boolean {
  if (parameter.AllowedValues || parameter.AllowedPattern !== undefined) return true;
  return parameter.Type === 'Number' && parameter.MinValue !== undefined && parameter.MaxValue !== undefined;
}

/** Findings of the parameter check: missing descriptions or rules, and defaults the rules refuse. */
export function checkParameters(template: Template): Finding[] {
  const findings: Finding[] = [];
  for (const [name, parameter] of Object.entries(template.Parameters ?? {})) {
    const path = `Parameters.${name}`;
    const report = (message: string) => findings.push({ check: 'parameters', path, message });
    if (!parameter.Description?.trim()) report('has no Description');
    if (!hasRules(parameter))
      report('has no AllowedValues or AllowedPattern (or, for a Number, MinValue and MaxValue)');
    if (parameter.Default !== undefined) {
      const problem = refusal(parameter, String(parameter.Default));
      if (problem) report(`its value is refused by its own rules: ${problem}`);
    }
  }
  findings.push(...checkRules(template));
  return findings;
}

/** The template's Rules (assertions across parameters) evaluated for the parameter values given. */
function checkRules(template: Template): Finding[] {
  const findings: Finding[] = [];
  const evaluator = new Evaluator(template, {
    ref: (id) => {
      throw new EvaluationError(`a rule cannot Ref the resource ${id}`);
    },
    getAtt: (id) => {
      throw new EvaluationError(`a rule cannot read an attribute of ${id}`);
    },
  });
  for (const [name, rule] of Object.entries(template.Rules ?? {})) {
    const path = `Rules.${name}`;
    try {
      if (rule.RuleCondition !== undefined && !evaluator.holds(rule.RuleCondition)) continue;
      for (const assertion of Array.isArray(rule.Assertions) ? rule.Assertions : []) {
        if (isObject(assertion) && !evaluator.holds(assertion.Assert ?? null))
          findings.push({
            check: 'parameters',
            path,
            message: `refused: ${String(assertion.AssertDescription)}`,
          });
      }
    } catch (error) {
      if (!(error instanceof EvaluationError)) throw error;
      findings.push({ check: 'parameters', path, message: `cannot evaluate: ${error.message}` });
    }
  }
  return findings;
}
