import { COMBINATIONS, packageTemplate, type Template, validateTemplate } from '../../scripts/stack/validate';

// Every parameter combination, packaged by the real `serverless package` (once per change: the
// templates are cached by content), held against AWS's published specifications.

const templates = new Map<string, Template>();

beforeAll(async () => {
  for (const combination of COMBINATIONS)
    templates.set(combination.name, await packageTemplate(combination.params));
}, 20 * 60_000);

const templateOf = (name: string) => {
  const template = templates.get(name);
  if (!template) throw new Error(`no template for ${name}`);
  return template;
};

describe('the packaged stack', () => {
  it.each(COMBINATIONS.map((combination) => combination.name))(
    'passes every check with %s',
    async (name) => {
      const findings = await validateTemplate(templateOf(name));

      expect(findings.map((finding) => `[${finding.check}] ${finding.path}: ${finding.message}`)).toEqual([]);
    },
    60_000,
  );

  it('gets a template of its own from each combination (each row changes what is deployed)', () => {
    const texts = COMBINATIONS.map((combination) => JSON.stringify(templateOf(combination.name)));

    expect(new Set(texts).size).toBe(COMBINATIONS.length);
  });
});
