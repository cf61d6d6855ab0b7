// A loopback DynamoDB for the Idempotency-Key records of bench/gateway.ts and bench/burst.ts.
import type { ServerResponse } from 'node:http';
import { CallCounter, close, delay, listen, parseBody, type StandIn, sendJson } from './stand-ins';

type DynamoItem = Record<string, { S?: string; N?: string }>;

/**
 * DynamoDB (JSON 1.0) for the Idempotency-Key records: PutItem with the gateway's condition (no item,
 * an expired one, or an expired in-flight mark; ConditionalCheckFailedException with the old item
 * otherwise), UpdateItem `SET`, DeleteItem and GetItem, on one in-memory table keyed by `id`.
 */
export async function startDynamoDbStandIn(latencyMs: number): Promise<StandIn> {
  const calls = new CallCounter();
  const items = new Map<string, DynamoItem>();
  const json = 'application/x-amz-json-1.0';
  const fail = (response: ServerResponse, type: string, message: string, extra: object = {}) =>
    sendJson(response, 400, { __type: `com.amazonaws.dynamodb.v20120810#${type}`, message, ...extra }, json);
  const { server, url, host } = await listen(async (request, body, response) => {
    const target = String(request.headers['x-amz-target'] ?? '');
    calls.add(target);
    await delay(latencyMs);
    const input = parseBody(body) as {
      Item?: DynamoItem;
      Key?: DynamoItem;
      ExpressionAttributeNames?: Record<string, string>;
      ExpressionAttributeValues?: DynamoItem;
      UpdateExpression?: string;
      ReturnValuesOnConditionCheckFailure?: string;
    };
    const names = input.ExpressionAttributeNames ?? {};
    const values = input.ExpressionAttributeValues ?? {};
    const key = (input.Item ?? input.Key)?.id?.S ?? '';
    const existing = items.get(key);
    if (target === 'DynamoDB_20120810.PutItem') {
      const old = (name: string) => existing?.[names[name] ?? ''];
      const number = (value: { N?: string } | undefined) => Number(value?.N ?? Number.NaN);
      const allowed =
        existing === undefined ||
        number(old('#expiry')) < number(values[':now']) ||
        (old('#status')?.S === values[':inprogress']?.S &&
          number(old('#in_progress_expiry')) < number(values[':now_in_millis']));
      if (!allowed) {
        const returned = input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' ? { Item: existing } : {};
        fail(response, 'ConditionalCheckFailedException', 'The conditional request failed', returned);
        return;
      }
      items.set(key, input.Item ?? {});
      sendJson(response, 200, {}, json);
    } else if (target === 'DynamoDB_20120810.UpdateItem') {
      const item: DynamoItem = { ...(existing ?? input.Key ?? {}) };
      for (const assignment of (input.UpdateExpression ?? '').replace(/^SET /, '').split(', ')) {
        const [name = '', value = ''] = assignment.split(' = ');
        const given = values[value];
        if (names[name] !== undefined && given !== undefined) item[names[name]] = given;
      }
      items.set(key, item);
      sendJson(response, 200, {}, json);
    } else if (target === 'DynamoDB_20120810.DeleteItem') {
      items.delete(key);
      sendJson(response, 200, {}, json);
    } else if (target === 'DynamoDB_20120810.GetItem') {
      sendJson(response, 200, existing ? { Item: existing } : {}, json);
    } else {
      fail(response, 'ValidationException', `the bench stand-in does not answer ${target}`);
    }
  });
  return { url, host, calls, stop: () => close(server) };
}
