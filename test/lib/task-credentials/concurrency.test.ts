import { mapConcurrently } from '../../../lib/task-credentials/concurrency';

describe('mapConcurrently', () => {
  it('runs at most `limit` tasks at once and settles every one in the order of the items', async () => {
    let running = 0;
    let peak = 0;
    const task = async (n: number) => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running -= 1;
      if (n === 3) throw new Error('three');
      return n * 10;
    };

    const results = await mapConcurrently([1, 2, 3, 4, 5, 6, 7], 3, task);

    expect(peak).toBe(3);
    expect(results.map((result) => (result.status === 'fulfilled' ? result.value : 'rejected'))).toEqual([
      10,
      20,
      'rejected',
      40,
      50,
      60,
      70,
    ]);
  });

  it('runs every item at once when the limit allows it', async () => {
    let running = 0;
    let peak = 0;

    await mapConcurrently([1, 2, 3, 4, 5], 32, async () => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running -= 1;
    });

    expect(peak).toBe(5);
  });
});
