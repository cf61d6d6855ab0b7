import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// `npm run validate` as an operator runs it, on a template given with --template (the packaging
// path is the one test/stack/validate.test.ts runs for every combination).

const root = join(__dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'brg-validate-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const validate = (...args: string[]) =>
  spawnSync('bash', ['scripts/run-ts.sh', 'scripts/validate.ts', ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
  });

describe('npm run validate', () => {
  it('lists every finding of every check and exits 1 for the broken fixture', () => {
    const result = validate('--template', 'test/fixtures/stack/broken-template.json');

    expect(result.status).toBe(1);
    for (const check of ['resource-spec', 'references', 'iam', 'parameters'])
      expect(result.stdout).toMatch(new RegExp(`^  \\[${check}\\] `, 'm'));
    expect(result.stdout).toContain('batch:SubmitJobs: no such action');
    expect(result.stdout).toMatch(/26 finding\(s\)\.$/m);
  }, 120_000);

  it('says "No findings." and exits 0 for a sound template', () => {
    const path = join(dir, 'sound.json');
    writeFileSync(
      path,
      JSON.stringify({
        Resources: { Queue: { Type: 'AWS::SQS::Queue', Properties: { MessageRetentionPeriod: 1209600 } } },
        Outputs: { QueueArn: { Value: { 'Fn::GetAtt': ['Queue', 'Arn'] } } },
      }),
    );

    const result = validate('--template', path);

    expect(result.stdout).toContain('1 resources of 1 types, 0 IAM statements granting 0 actions — ok');
    expect(result.stdout).toMatch(/^No findings\.$/m);
    expect(result.status).toBe(0);
  }, 120_000);

  it('exits 2 and names the known combinations for an unknown one', () => {
    const result = validate('no such combination');

    expect(result.status).toBe(2);
    expect(result.stderr).toContain('no combination no such combination (known: defaults;');
  }, 120_000);
});
