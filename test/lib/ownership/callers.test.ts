import { ConfigError, type HttpError } from '../../../lib/errors';
import type { HttpEvent } from '../../../lib/http';
import { Callers } from '../../../lib/ownership/callers';
import { loadFixture } from '../../helpers/fixtures';

const FIXTURE_CALLER = 'arn:aws:sts::123456789012:assumed-role/job-submitter/pipeline-run-42';

describe('Callers', () => {
  it('takes the principal from the IAM authorizer context and drops the session', () => {
    const callers = new Callers({ adminPrincipals: [], localCaller: undefined });

    const caller = callers.fromEvent(loadFixture<HttpEvent>('http/get-job.json'));

    expect(caller).toEqual({
      principalArn: FIXTURE_CALLER,
      ownerKey: 'arn:aws:sts::123456789012:assumed-role/job-submitter',
      admin: false,
    });
  });

  it('marks a caller whose role is listed in ADMIN_PRINCIPALS (by role ARN with a path) as admin', () => {
    const callers = new Callers({
      adminPrincipals: ['arn:aws:iam::123456789012:role/ci/job-submitter'],
      localCaller: undefined,
    });

    expect(callers.fromEvent(loadFixture<HttpEvent>('http/get-job.json')).admin).toBe(true);
  });

  it('answers 403 for a request without an IAM identity', () => {
    const callers = new Callers({ adminPrincipals: [], localCaller: undefined });
    const event = loadFixture<HttpEvent>('http/get-job.json');
    Reflect.deleteProperty(event.requestContext, 'authorizer');

    expect(() => callers.fromEvent(event)).toThrow(expect.objectContaining({ statusCode: 403 }) as HttpError);
  });

  it('treats every request as the local caller when IAM is off (BRG_LOCAL_CALLER)', () => {
    const callers = new Callers({ adminPrincipals: [], localCaller: 'arn:aws:iam::123456789012:user/local' });
    const event = loadFixture<HttpEvent>('http/get-job.json');

    expect(callers.fromEvent(event).ownerKey).toBe('arn:aws:iam::123456789012:user/local');
  });

  it('fails at cold start naming every ADMIN_PRINCIPALS entry that is no principal, and a bad local caller', () => {
    const build = () =>
      new Callers({
        adminPrincipals: ['arn:aws:iam::123456789012:role/ok', 'admin', 'arn:aws:s3:::bucket'],
        localCaller: 'local',
      });

    expect(build).toThrow(ConfigError);
    expect(build).toThrow(
      'Invalid configuration: ADMIN_PRINCIPALS entry 2 must be an IAM role, assumed-role, user, root or federated-user ARN; ADMIN_PRINCIPALS entry 3 must be an IAM role, assumed-role, user, root or federated-user ARN; BRG_LOCAL_CALLER must be an IAM principal ARN',
    );
  });
});
