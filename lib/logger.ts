import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The one structured JSON logger. Log identifiers (secret ARN, version id, launch template
 * version, compute environment, job id), never a secret value, a rendered user data document,
 * an Authorization header or a whole event.
 */
export const logger = new Logger({ serviceName: 'batch-registry-gateway' });
