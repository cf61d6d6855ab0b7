import { BatchClient } from '@aws-sdk/client-batch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

// Created once per container so warm invocations reuse connections. Region, credentials and
// endpoints (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>) come from the SDK's own settings.
// Retries stay at the SDK default (standard mode, 3 attempts): throttling is retried there
// first; what still fails is mapped to 429 by the gateway or rethrown by event handlers.
// `@__PURE__` lets the bundler drop a client (and its whole SDK package) that a function never uses.
export const batch = /* @__PURE__ */ new BatchClient({});
export const ec2 = /* @__PURE__ */ new EC2Client({});
export const secretsManager = /* @__PURE__ */ new SecretsManagerClient({});
export const logs = /* @__PURE__ */ new CloudWatchLogsClient({});
export const ecs = /* @__PURE__ */ new ECSClient({});
export const dynamodb = /* @__PURE__ */ new DynamoDBClient({});
export const eventBridge = /* @__PURE__ */ new EventBridgeClient({});
