import { callerTagValue, defaultJobName, jobDefinitionName } from '../../../lib/jobs/names';
import { parseImageReference } from '../../../lib/registry/reference';

const HASH = 'a1b2c3d4e5f6'.repeat(5);

describe('jobDefinitionName', () => {
  it.each([
    ['docker.io/library/alpine:latest', /^brg-prod-docker-io-library-alpine-latest-a1b2c3d4e5f6$/],
    ['127.0.0.1:5000/team/app:v1', /^brg-prod-127-0-0-1-5000-team-app-v1-a1b2c3d4e5f6$/],
    [`ghcr.io/org/app@sha256:${'c'.repeat(64)}`, /^brg-prod-ghcr-io-org-app-sha256-c+-a1b2c3d4e5f6$/],
  ])('derives a readable name with the stage and 12 hex of the hash from %s', (image, expected) => {
    const name = jobDefinitionName('prod', image, HASH);

    expect(name).toMatch(expected);
  });

  it('keeps stages apart: the same image and hash in two stages give two names', () => {
    const names = [
      jobDefinitionName('dev', 'registry.example.com/a/b:1', HASH),
      jobDefinitionName('prod', 'registry.example.com/a/b:1', HASH),
    ];

    expect(names[0]).toMatch(/^brg-dev-/);
    expect(names[1]).toMatch(/^brg-prod-/);
  });

  it('stays within 128 characters of [A-Za-z0-9_-] for the longest image and stage', () => {
    const image = `registry.example.com/${'a'.repeat(200)}:${'t'.repeat(128)}`;

    const name = jobDefinitionName('s'.repeat(32), image, HASH);

    expect(name.length).toBeLessThanOrEqual(128);
    expect(name).toMatch(/^[A-Za-z0-9][A-Za-z0-9_-]*-a1b2c3d4e5f6$/);
  });
});

describe('defaultJobName', () => {
  it.each([
    ['alpine', 'alpine-latest'],
    ['registry.example.com/team/app:1.4.2', 'app-1-4-2'],
    [`registry.example.com/team/app@sha256:${'ab'.repeat(32)}`, 'app-abababababab'],
    ['registry.example.com/team/app:_x', 'app-_x'],
    [`registry.example.com/${'a'.repeat(120)}:${'t'.repeat(120)}`, `${'a'.repeat(120)}-${'t'.repeat(7)}`],
  ])('names a job for %s %s', (image, expected) => {
    const name = defaultJobName(parseImageReference(image));

    expect(name).toBe(expected);
    expect(name).toMatch(/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/);
  });
});

describe('callerTagValue', () => {
  it.each([
    ['arn:aws:iam::123456789012:user/ops/alice', 'arn:aws:iam::123456789012:user/ops/alice'],
    ['arn:aws:sts::123456789012:assumed-role/r/a,b', 'arn:aws:sts::123456789012:assumed-role/r/a_b'],
    [undefined, 'unknown'],
    [
      `arn:aws:iam::123456789012:user/${'p'.repeat(300)}`,
      `arn:aws:iam::123456789012:user/${'p'.repeat(300)}`.slice(0, 256),
    ],
  ])('records %s as a valid tag value', (arn, expected) => {
    expect(callerTagValue(arn)).toBe(expected);
  });

  it('cuts a long identity at 256 characters without splitting a surrogate pair', () => {
    const value = callerTagValue(`${'a'.repeat(255)}\u{10000}b`);

    expect(Array.from(value)).toHaveLength(256);
    expect(value.endsWith('\u{10000}')).toBe(true);
  });
});
