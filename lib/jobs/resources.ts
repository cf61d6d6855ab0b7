import type { ResourceRequirement } from '@aws-sdk/client-batch';
import { HttpError } from '../errors';
import type { Platform } from './queue';

/** What a caller may ask for in `POST /jobs`. */
export interface RequestedResources {
  readonly vcpus?: number | undefined;
  readonly memory?: number | undefined;
  readonly gpus?: number | undefined;
}

function steps(from: number, to: number, step: number): number[] {
  const values: number[] = [];
  for (let value = from; value <= to; value += step) values.push(value);
  return values;
}

/** Fargate's vCPU / memory (MiB) combinations (SPEC §11), smallest vCPU first. */
export const FARGATE_COMBINATIONS: ReadonlyArray<{
  readonly vcpus: number;
  readonly memory: readonly number[];
}> = [
  { vcpus: 0.25, memory: [512, 1024, 2048] },
  { vcpus: 0.5, memory: steps(1024, 4096, 1024) },
  { vcpus: 1, memory: steps(2048, 8192, 1024) },
  { vcpus: 2, memory: steps(4096, 16384, 1024) },
  { vcpus: 4, memory: steps(8192, 30720, 1024) },
  { vcpus: 8, memory: steps(16384, 61440, 4096) },
  { vcpus: 16, memory: steps(32768, 122880, 8192) },
];

/** The resources of a managed job definition on each platform; submissions override them. */
export const DEFINITION_VCPUS = 1;
export const DEFINITION_MEMORY_MIB = 2048;

const FARGATE_VCPUS = FARGATE_COMBINATIONS.map((row) => row.vcpus);

/** `512, 1024, 2048` or `2048–8192 in steps of 1024`. */
function describeMemory(memory: readonly number[]): string {
  const [first, second] = memory;
  const last = memory[memory.length - 1];
  if (first === undefined || second === undefined || last === undefined || memory.length <= 3) {
    return memory.join(', ');
  }
  return `${first}–${last} in steps of ${second - first}`;
}

function describeTable(): string {
  return FARGATE_COMBINATIONS.map((row) => `${row.vcpus} vCPU: ${describeMemory(row.memory)} MiB`).join('; ');
}

function badRequest(path: string, message: string): HttpError {
  return new HttpError(400, 'Bad Request', `The request body is invalid: ${path} ${message}.`, {
    errors: [{ path, message }],
  });
}

/**
 * The container resource overrides of a job (pure), by the queue's platform. EC2: `vcpus` a whole
 * number ≥ 1, `memory` and `gpus` as given. Fargate (SPEC §11): `vcpus`/`memory` one of Fargate's
 * combinations — only `vcpus` takes its smallest memory, only `memory` the smallest vCPU that
 * allows it, neither keeps the definition's 1 vCPU / 2048 MiB — and no `gpus`. Values are Batch's
 * strings (`"0.25"`). Throws HttpError 400 naming the field and the allowed values.
 */
export function resourceOverrides(platform: Platform, requested: RequestedResources): ResourceRequirement[] {
  const { vcpus, memory, gpus } = requested;
  if (platform === 'EC2') {
    if (vcpus !== undefined && (!Number.isInteger(vcpus) || vcpus < 1)) {
      throw badRequest('vcpus', 'must be a whole number of at least 1 on an EC2 queue');
    }
    return [
      ...(vcpus !== undefined ? [{ type: 'VCPU' as const, value: String(vcpus) }] : []),
      ...(memory !== undefined ? [{ type: 'MEMORY' as const, value: String(memory) }] : []),
      ...(gpus !== undefined && gpus > 0 ? [{ type: 'GPU' as const, value: String(gpus) }] : []),
    ];
  }
  if (gpus !== undefined) throw badRequest('gpus', 'is not available on a Fargate queue');
  if (vcpus === undefined && memory === undefined) return [];
  const combination = fargateCombination(vcpus, memory);
  return [
    { type: 'VCPU', value: String(combination.vcpus) },
    { type: 'MEMORY', value: String(combination.memory) },
  ];
}

function fargateCombination(
  vcpus: number | undefined,
  memory: number | undefined,
): { vcpus: number; memory: number } {
  if (vcpus === undefined) {
    const row = FARGATE_COMBINATIONS.find((candidate) => candidate.memory.includes(memory ?? -1));
    if (!row) {
      throw badRequest('memory', `must be a Fargate memory size (MiB): ${describeTable()}`);
    }
    return { vcpus: row.vcpus, memory: memory ?? row.memory[0] ?? DEFINITION_MEMORY_MIB };
  }
  const row = FARGATE_COMBINATIONS.find((candidate) => candidate.vcpus === vcpus);
  if (!row) throw badRequest('vcpus', `must be one of ${FARGATE_VCPUS.join(', ')} on a Fargate queue`);
  if (memory === undefined) return { vcpus, memory: row.memory[0] ?? DEFINITION_MEMORY_MIB };
  if (!row.memory.includes(memory)) {
    throw badRequest('memory', `with ${vcpus} vCPU on Fargate must be ${describeMemory(row.memory)} (MiB)`);
  }
  return { vcpus, memory };
}
