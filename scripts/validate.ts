// npm run validate: package the stack for every parameter combination and hold each template
// against AWS's published specifications (the checks the jest suite in test/stack/ runs).
//   npm run validate                               every combination
//   npm run validate -- "rotation schedule none"   only the combinations named
//   npm run validate -- --template t.json          a template already packaged
//   --verbose                                      also list the resource types and actions checked
// Exit 0: nothing found; 1: a finding (listed); 2: usage or packaging failed.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  CHECKS,
  COMBINATIONS,
  type Finding,
  packageTemplate,
  summarize,
  type Template,
  validateTemplate,
} from './stack/validate';

interface Target {
  name: string;
  params: Record<string, string>;
  template: () => Promise<Template>;
}

function targets(): Target[] {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { template: { type: 'string' }, verbose: { type: 'boolean' } },
  });
  if (values.template) {
    const path = values.template;
    return [
      { name: path, params: {}, template: async () => JSON.parse(readFileSync(path, 'utf8')) as Template },
    ];
  }
  const unknown = positionals.filter(
    (name) => !COMBINATIONS.some((combination) => combination.name === name),
  );
  if (unknown.length > 0)
    throw new UsageError(
      `no combination ${unknown.join(', ')} (known: ${COMBINATIONS.map((c) => c.name).join('; ')})`,
    );
  return COMBINATIONS.filter(
    (combination) => positionals.length === 0 || positionals.includes(combination.name),
  ).map((combination) => ({ ...combination, template: () => packageTemplate(combination.params) }));
}

class UsageError extends Error {
  override name = 'UsageError';
}

const format = (finding: Finding) => `  [${finding.check}] ${finding.path}: ${finding.message}`;

async function main(): Promise<number> {
  const verbose = process.argv.includes('--verbose');
  const list = targets();
  let findings = 0;
  for (const target of list) {
    process.stderr.write(`Checking ${target.name}…\n`);
    const template = await target.template();
    const found = await validateTemplate(template);
    const { resources, types, statements, actions } = summarize(template);
    const status = found.length === 0 ? 'ok' : `${found.length} finding(s)`;
    console.log(
      `\n${target.name}: ${resources} resources of ${types.length} types, ` +
        `${statements} IAM statements granting ${actions.length} actions — ${status}`,
    );
    const params = Object.entries(target.params).map(([name, value]) => `--param="${name}=${value}"`);
    if (params.length > 0) console.log(`  ${params.join(' ')}`);
    if (verbose) console.log(`  types: ${types.join(', ')}\n  actions: ${actions.join(', ')}`);
    for (const finding of found) console.log(format(finding));
    findings += found.length;
  }
  console.log('\nChecks:');
  for (const [name, description] of Object.entries(CHECKS)) console.log(`  ${name}: ${description}`);
  console.log(findings === 0 ? '\nNo findings.' : `\n${findings} finding(s).`);
  return findings === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(2);
  },
);
