// npm run validate: package the stack for every parameter combination and hold each template
// against AWS's published specifications (the checks the jest suite in test/stack/ runs).
// Exit 0: nothing found; 1: a finding (listed); 2: packaging failed.

import {
  CHECKS,
  COMBINATIONS,
  type Finding,
  inBatches,
  packageTemplate,
  summarize,
  validateTemplate,
} from './stack/validate';

async function main(): Promise<number> {
  const only = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
  const combinations = COMBINATIONS.filter(
    (combination) => only.length === 0 || only.includes(combination.name),
  );
  process.stderr.write(`Packaging ${combinations.length} combination(s)…\n`);
  let findings = 0;
  const results = await inBatches(combinations, 1, async (combination) => {
    const template = await packageTemplate(combination.params);
    return { combination, template, findings: await validateTemplate(template) };
  });
  for (const result of results) {
    const { resources, types, statements, actions } = summarize(result.template);
    const status = result.findings.length === 0 ? 'ok' : `${result.findings.length} finding(s)`;
    console.log(
      `\n${result.combination.name}: ${resources} resources of ${types.length} types, ` +
        `${statements} IAM statements granting ${actions.length} actions — ${status}`,
    );
    if (process.argv.includes('--verbose'))
      console.log(`  types: ${types.join(', ')}\n  actions: ${actions.join(', ')}`);
    const params = Object.entries(result.combination.params).map(([name, value]) => `${name}=${value}`);
    if (params.length > 0) console.log(`  --param ${params.join(' --param ')}`);
    for (const finding of result.findings) console.log(format(finding));
    findings += result.findings.length;
  }
  console.log('\nChecks:');
  for (const [name, description] of Object.entries(CHECKS)) console.log(`  ${name}: ${description}`);
  console.log(findings === 0 ? '\nNo findings.' : `\n${findings} finding(s).`);
  return findings === 0 ? 0 : 1;
}

const format = (finding: Finding) => `  [${finding.check}] ${finding.path}: ${finding.message}`;

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(2);
  },
);
