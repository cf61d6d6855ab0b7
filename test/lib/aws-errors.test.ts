import { BatchServiceException, ClientException } from '@aws-sdk/client-batch';
import { awsFailure, isThrottling } from '../../lib/aws-errors';
import { HttpError } from '../../lib/errors';

function serviceError(name: string, httpStatusCode: number): BatchServiceException {
  return new BatchServiceException({ name, $fault: 'client', $metadata: { httpStatusCode }, message: 'm' });
}

describe('isThrottling', () => {
  it.each([
    [serviceError('TooManyRequestsException', 429), true],
    [serviceError('ThrottlingException', 400), true],
    [serviceError('SomethingNew', 429), true],
    [Object.assign(new Error('x'), { $retryable: { throttling: true } }), true],
    [new ClientException({ message: 'queue disabled', $metadata: { httpStatusCode: 400 } }), false],
    [new Error('plain'), false],
    ['not an error', false],
  ])('classifies %o', (error, expected) => {
    expect(isThrottling(error)).toBe(expected);
  });
});

describe('awsFailure', () => {
  it('keeps an HttpError and hides any other AWS message behind the given text', () => {
    const kept = new HttpError(404, 'Not Found', 'no job');

    const mapped = awsFailure(
      new ClientException({ message: 'internal', $metadata: {} }),
      'AWS Batch failed.',
    );

    expect(awsFailure(kept, 'x')).toBe(kept);
    expect([mapped.statusCode, mapped.message]).toEqual([502, 'AWS Batch failed.']);
  });
});
