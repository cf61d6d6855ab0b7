// Serverless plugin: gives the stack's launch template its first user data, rendered by the same
// renderer the rollout uses (lib/rollout/user-data.ts), reading the secret's AWSCURRENT version.
// The secret's ARN is only known to CloudFormation, so the rendered text goes through Fn::Sub
// with a placeholder ARN swapped for ${SecretArn} (and every other "${" escaped as "${!").
const { buildSync } = require('esbuild');
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const PLACEHOLDER_ARN =
  'arn:aws:secretsmanager:us-east-1:123456789012:secret:initial-user-data-placeholder-AbCdEf';

function loadRenderer(serviceDir) {
  const dir = mkdtempSync(join(tmpdir(), 'brg-user-data-'));
  try {
    const outfile = join(dir, 'user-data.js');
    buildSync({
      entryPoints: [join(serviceDir, 'lib/rollout/user-data.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      outfile,
      loader: { '.sh': 'text', '.yaml': 'text' },
      logLevel: 'error',
    });
    return require(outfile);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The launch template's UserData property: Fn::Base64 of Fn::Sub of the rendered document. */
function initialUserData(serviceDir, secretArn) {
  const { renderUserData } = loadRenderer(serviceDir);
  const text = renderUserData({ secretArn: PLACEHOLDER_ARN, secretVersion: { versionStage: 'AWSCURRENT' } });
  if (!text.includes(PLACEHOLDER_ARN)) throw new Error('rendered user data does not name the secret ARN');
  const template = text.split('${').join('${!').split(PLACEHOLDER_ARN).join('${SecretArn}');
  return { 'Fn::Base64': { 'Fn::Sub': [template, { SecretArn: secretArn }] } };
}

class InitialUserDataPlugin {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'after:aws:package:finalize:mergeCustomProviderResources': () => this.setUserData() };
  }

  setUserData() {
    const service = this.serverless.service;
    const resources = service.provider.compiledCloudFormationTemplate.Resources;
    const launchTemplate = resources.LaunchTemplate;
    if (!launchTemplate)
      throw new Error('serverless.yml has no LaunchTemplate resource for the initial user data');
    // Hardened mode (instanceCredentials 'false'): instances read nothing at boot, so no user data.
    if (String(service.custom.instanceCredentials) === 'false') {
      delete launchTemplate.Properties.LaunchTemplateData.UserData;
      return;
    }
    const secretArn = service.custom.ref.secretArn;
    launchTemplate.Properties.LaunchTemplateData.UserData = initialUserData(
      this.serverless.serviceDir,
      secretArn,
    );
  }
}

module.exports = InitialUserDataPlugin;
module.exports.initialUserData = initialUserData;
