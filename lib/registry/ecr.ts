/**
 * A private Amazon ECR registry host: `<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]`
 * (ECR's documented registry URL). ECR Public (`public.ecr.aws`) is not one: it serves anonymous
 * pulls through the Registry HTTP API like any public registry.
 */
const PRIVATE_ECR_HOST = /^\d{12}\.dkr\.ecr(-fips)?\.[a-z]{2}(-[a-z]+)+-\d+\.amazonaws\.com(\.cn)?$/;

/** True when `registryName` (host, lower case) is a private Amazon ECR registry. */
export function isPrivateEcrRegistry(registryName: string): boolean {
  return PRIVATE_ECR_HOST.test(registryName);
}
