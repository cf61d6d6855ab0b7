import { HttpError } from '../../../lib/errors';
import { FARGATE_COMBINATIONS, resourceOverrides } from '../../../lib/jobs/resources';

function problemOf(run: () => unknown): HttpError {
  try {
    run();
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  throw new Error('expected an HttpError');
}

describe('resourceOverrides', () => {
  describe('EC2 queue', () => {
    it('passes whole vCPUs, memory and GPUs as Batch strings', () => {
      expect(resourceOverrides('EC2', { vcpus: 2, memory: 4096, gpus: 1 })).toEqual([
        { type: 'VCPU', value: '2' },
        { type: 'MEMORY', value: '4096' },
        { type: 'GPU', value: '1' },
      ]);
    });

    it('sends nothing for gpus 0 and nothing when no resource is asked for', () => {
      expect(resourceOverrides('EC2', { gpus: 0 })).toEqual([]);
      expect(resourceOverrides('EC2', {})).toEqual([]);
    });

    it.each([[0.5], [1.5], [0.25]])('refuses vcpus %s: a whole number ≥ 1 on an EC2 queue', (vcpus) => {
      const error = problemOf(() => resourceOverrides('EC2', { vcpus }));

      expect(error.statusCode).toBe(400);
      expect(error.errors).toEqual([{ path: 'vcpus', message: expect.stringMatching(/whole number/) }]);
    });
  });

  describe('Fargate queue', () => {
    it('keeps the definition (1 vCPU, 2048 MiB) when neither vcpus nor memory is given', () => {
      expect(resourceOverrides('FARGATE', {})).toEqual([]);
    });

    it.each([
      [0.25, 512],
      [0.5, 1024],
      [1, 2048],
      [2, 4096],
      [4, 8192],
      [8, 16384],
      [16, 32768],
    ])('gives vcpus %s alone its smallest memory, %s MiB', (vcpus, memory) => {
      expect(resourceOverrides('FARGATE', { vcpus })).toEqual([
        { type: 'VCPU', value: String(vcpus) },
        { type: 'MEMORY', value: String(memory) },
      ]);
    });

    it.each([
      [512, '0.25'],
      [2048, '0.25'],
      [3072, '0.5'],
      [5120, '1'],
      [9216, '2'],
      [20480, '4'],
      [36864, '8'],
      [122880, '16'],
    ])('gives memory %s alone the smallest vCPU that allows it, %s', (memory, vcpus) => {
      expect(resourceOverrides('FARGATE', { memory })).toEqual([
        { type: 'VCPU', value: vcpus },
        { type: 'MEMORY', value: String(memory) },
      ]);
    });

    it('accepts every combination of the table and sends it as given', () => {
      for (const row of FARGATE_COMBINATIONS) {
        for (const memory of row.memory) {
          expect(resourceOverrides('FARGATE', { vcpus: row.vcpus, memory })).toEqual([
            { type: 'VCPU', value: String(row.vcpus) },
            { type: 'MEMORY', value: String(memory) },
          ]);
        }
      }
      expect(FARGATE_COMBINATIONS.map((row) => [row.vcpus, row.memory.length])).toEqual([
        [0.25, 3],
        [0.5, 4],
        [1, 7],
        [2, 13],
        [4, 23],
        [8, 12],
        [16, 12],
      ]);
    });

    it.each([[0.3], [3], [32], [1.5]])('refuses vcpus %s, listing the allowed values', (vcpus) => {
      const error = problemOf(() => resourceOverrides('FARGATE', { vcpus }));

      expect(error.statusCode).toBe(400);
      expect(error.errors?.[0]?.path).toBe('vcpus');
      expect(error.message).toContain('0.25, 0.5, 1, 2, 4, 8, 16');
    });

    it('refuses a memory size that no vCPU allows, listing the table', () => {
      const error = problemOf(() => resourceOverrides('FARGATE', { memory: 1536 }));

      expect(error.statusCode).toBe(400);
      expect(error.errors?.[0]?.path).toBe('memory');
      expect(error.message).toContain('0.25 vCPU: 512, 1024, 2048 MiB');
      expect(error.message).toContain('16 vCPU: 32768–122880 in steps of 8192 MiB');
    });

    it('refuses a combination off the table, naming the memory allowed with that vCPU', () => {
      const error = problemOf(() => resourceOverrides('FARGATE', { vcpus: 0.25, memory: 4096 }));

      expect(error.statusCode).toBe(400);
      expect(error.errors?.[0]).toEqual({
        path: 'memory',
        message: 'with 0.25 vCPU on Fargate must be 512, 1024, 2048 (MiB)',
      });
      expect(problemOf(() => resourceOverrides('FARGATE', { vcpus: 8, memory: 18432 })).message).toContain(
        '16384–61440 in steps of 4096',
      );
    });

    it.each([[0], [1]])('refuses gpus %s on a Fargate queue', (gpus) => {
      const error = problemOf(() => resourceOverrides('FARGATE', { gpus }));

      expect(error.statusCode).toBe(400);
      expect(error.errors).toEqual([{ path: 'gpus', message: 'is not available on a Fargate queue' }]);
    });
  });
});
