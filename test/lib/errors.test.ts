import { describeError } from '../../lib/errors';

describe('describeError', () => {
  it('gives an Error as its name and message', () => {
    const error = new TypeError('bad input');

    expect(describeError(error)).toBe('TypeError: bad input');
  });

  it.each([
    ['a thrown string', 'password=hunter2'],
    ['a thrown object', { password: 'hunter2' }],
    ['undefined', undefined],
  ])('never quotes %s, whatever it holds', (_case, thrown) => {
    expect(describeError(thrown)).toBe('non-error thrown');
  });
});
