import { parseRetryAfter, retryDelayMs, retryPolicy, sleep } from '../../client/src/retry';

describe('client retry policy', () => {
  it('bounds the options: at least one attempt, at most ten', () => {
    expect(retryPolicy({ maxAttempts: 0 }).maxAttempts).toBe(1);
    expect(retryPolicy({ maxAttempts: 50 }).maxAttempts).toBe(10);
    expect(retryPolicy()).toEqual({ maxAttempts: 4, baseDelayMs: 250, maxDelayMs: 20_000 });
  });

  it('waits at least Retry-After, with up to 20 % jitter, never past maxDelayMs', () => {
    const policy = retryPolicy();

    expect(retryDelayMs(policy, 1, 2, () => 0)).toBe(2000);
    expect(retryDelayMs(policy, 1, 2, () => 0.999)).toBeCloseTo(2399.6);
    expect(retryDelayMs(policy, 1, 3600, () => 0.5)).toBe(20_000);
  });

  it('backs off exponentially with full jitter without Retry-After', () => {
    const policy = retryPolicy({ baseDelayMs: 100, maxDelayMs: 1000 });

    expect([1, 2, 3, 4, 5].map((retry) => retryDelayMs(policy, retry, undefined, () => 1))).toEqual([
      100, 200, 400, 800, 1000,
    ]);
    expect(retryDelayMs(policy, 3, undefined, () => 0.25)).toBe(100);
  });

  it.each([
    ['2', 2],
    [' 10 ', 10],
    ['Tue, 01 Dec 2026 12:00:05 GMT', 5],
    ['soon', undefined],
    [null, undefined],
  ])('reads Retry-After %p as %p seconds', (value, seconds) => {
    expect(parseRetryAfter(value, Date.parse('2026-12-01T12:00:00Z'))).toBe(seconds);
  });

  it('stops sleeping with the signal reason when aborted', async () => {
    const controller = new AbortController();
    const slept = sleep(60_000, controller.signal);

    controller.abort(new Error('caller gave up'));

    await expect(slept).rejects.toThrow('caller gave up');
  });
});
