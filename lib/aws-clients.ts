import { BatchClient } from '@aws-sdk/client-batch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

// Created once per container so warm invocations reuse connections. Region, credentials and
// endpoints (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>) come from the SDK's own settings.
// Retries stay at the SDK default (standard mode, 3 attempts): throttling is retried there
// first; what still fails is mapped to 429 by the gateway or rethrown by event handlers.
// `@__PURE__` lets the bundler drop a client (and its whole SDK package) that a function never uses.
export const batch = /* @__PURE__ */ new BatchClient({});
export const dynamodb = /* @__PURE__ */ new DynamoDBClient({});
export const ec2 = /* @__PURE__ */ new EC2Client({});
export const secretsManager = /* @__PURE__ */ new SecretsManagerClient({});
