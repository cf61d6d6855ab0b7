import { Command, CommanderError, Option } from 'commander';
import { RegistryClient } from '../registry/client';
import { SecretFormatError } from '../registry/secret';
import { renderUserData, UserDataInputError, userDataByteLength } from '../rollout/user-data';
import { check } from './check';
import { type GlobalOptions, openStack, StackError } from './context';
import { type CommandResult, withProgress } from './output';
import { plan } from './plan';
import { stage } from './stage';
import { status } from './status';

/** Exit codes: 0 ok, 1 a problem found (or AWS failed), 2 usage. */
export const EXIT = { ok: 0, problem: 1, usage: 2 } as const;

export interface CliIo {
  /** The repository root: `.local/stack.json` of `npm start` lives there. */
  readonly root: string;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** Default Region when --region is not given (AWS_REGION). */
  readonly defaultRegion: string;
  /** The local stack's state file, when not `<root>/.local/stack.json`. */
  readonly localStateFile?: string;
}

class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * The operator CLI (SPEC §12): `status`, `check`, `plan`, `render-user-data`, `stage`, each with
 * --json, --stage, --region and --local. A thin face over lib/: every command calls the same code
 * the functions run. Returns the exit code; never prints a credential.
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let result: CommandResult | undefined;
  let json = false;
  const program = new Command('batch-registry-gateway')
    .description('Operate batch-registry-gateway: registry credentials for AWS Batch.')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError();
  const globals = (command: Command) =>
    command
      .option('--json', 'machine-readable output on stdout')
      .option('--stage <stage>', 'the deployed stage', 'dev')
      .addOption(new Option('--region <region>', 'the AWS Region').default(io.defaultRegion))
      .option('--local', 'the `npm start` stack instead of a deployed one');
  const context = async (command: Command) => {
    const options = command.opts<GlobalOptions>();
    json = options.json === true;
    const opened = await openStack({ ...options, local: options.local === true }, io.root, io.localStateFile);
    return { ...opened, progress: !json };
  };

  globals(program.command('status'))
    .description(
      'secret versions, launch template, compute environments, instances per version, credential secrets',
    )
    .addHelpText('after', '\nExample:\n  npx batch-registry-gateway status --stage prod --region eu-west-1')
    .action(async (_options, command: Command) => {
      const { clients, refs, progress } = await context(command);
      result = await withProgress(progress, 'reading the stack', () => status(clients, refs));
    });
  globals(program.command('check'))
    .description('log in to every registry with AWSCURRENT, or with a local secret file')
    .option('--file <file>', 'a secret JSON file to check instead of AWSCURRENT')
    .addHelpText(
      'after',
      '\nExample:\n  npx batch-registry-gateway check --file new-credentials.json --local',
    )
    .action(async (options: { file?: string }, command: Command) => {
      const { clients, refs, progress } = await context(command);
      const verifier = new RegistryClient({ timeoutMs: 5000 });
      result = await withProgress(progress, 'logging in to the registries', () =>
        check(clients, refs, verifier, options.file),
      );
    });
  globals(program.command('plan'))
    .description('what a rollout of AWSCURRENT would change; writes nothing')
    .addHelpText('after', '\nExample:\n  npx batch-registry-gateway plan --stage prod --json')
    .action(async (_options, command: Command) => {
      const { clients, refs, progress } = await context(command);
      result = await withProgress(progress, 'planning', () => plan(clients, refs));
    });
  globals(program.command('render-user-data'))
    .description('the boot user data the rollout would publish for a secret version (holds no credential)')
    .requiredOption('--version-id <id>', 'the secret version the instances read')
    .addHelpText(
      'after',
      '\nExample:\n  npx batch-registry-gateway render-user-data --version-id <id> --local',
    )
    .action(async (options: { versionId: string }, command: Command) => {
      const { refs } = await context(command);
      let userData: string;
      try {
        userData = renderUserData({
          secretArn: refs.secretArn,
          secretVersion: { versionId: options.versionId },
        });
      } catch (error) {
        if (error instanceof UserDataInputError) throw new UsageError(error.message);
        throw error;
      }
      const data = {
        secretArn: refs.secretArn,
        secretVersionId: options.versionId,
        bytes: userDataByteLength(userData),
        userData,
      };
      result = { data, text: userData.trimEnd(), problems: [] };
    });
  globals(program.command('stage'))
    .description('put new credentials into the staging secret and start the rotation; prints its version id')
    .requiredOption('--file <file>', 'the new secret JSON (SPEC §3)')
    .addHelpText(
      'after',
      '\nExample:\n  npx batch-registry-gateway stage --file new-credentials.json --stage prod',
    )
    .action(async (options: { file: string }, command: Command) => {
      const { clients, refs } = await context(command);
      result = await stage(clients, refs, options.file);
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version'
        ? EXIT.ok
        : EXIT.usage;
    }
    if (error instanceof UsageError) {
      io.err(`error: ${error.message}\n`);
      return EXIT.usage;
    }
    const message =
      error instanceof StackError || error instanceof SecretFormatError
        ? error.message
        : error instanceof Error
          ? `${error.name}: ${error.message}`
          : 'unknown error';
    io.err(`error: ${message}\n`);
    return EXIT.problem;
  }
  if (!result) return EXIT.usage;
  if (json) io.out(`${JSON.stringify({ ...result.data, problems: result.problems }, null, 2)}\n`);
  else {
    io.out(`${result.text}\n`);
    if (result.problems.length > 0)
      io.out(`\nProblems:\n${result.problems.map((p) => `  - ${p}`).join('\n')}\n`);
  }
  return result.problems.length > 0 ? EXIT.problem : EXIT.ok;
}
