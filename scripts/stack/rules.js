// Serverless plugin: puts `custom.cloudFormationRules` into the template's Rules section (osls's
// `resources` accepts no Rules), so CloudFormation checks parameters that only make sense together
// before it creates anything.

class CloudFormationRulesPlugin {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'after:aws:package:finalize:mergeCustomProviderResources': () => this.addRules() };
  }

  addRules() {
    const rules = this.serverless.service.custom?.cloudFormationRules;
    if (!rules) return;
    const template = this.serverless.service.provider.compiledCloudFormationTemplate;
    template.Rules = { ...template.Rules, ...rules };
  }
}

module.exports = CloudFormationRulesPlugin;
