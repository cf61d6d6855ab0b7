import { isPrivateEcrRegistry } from '../../../lib/registry/ecr';

describe('isPrivateEcrRegistry', () => {
  it.each([
    ['123456789012.dkr.ecr.us-east-1.amazonaws.com', true],
    ['123456789012.dkr.ecr.eu-central-1.amazonaws.com', true],
    ['123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com', true],
    ['123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn', true],
    ['public.ecr.aws', false],
    ['12345678901.dkr.ecr.us-east-1.amazonaws.com', false],
    ['123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example', false],
    ['123456789012.dkr.ecr.us-east-1.amazonaws.com:443', false],
    ['ghcr.io', false],
  ])('says %s is %p', (host, expected) => {
    // act
    const privateEcr = isPrivateEcrRegistry(host);

    // assert
    expect(privateEcr).toBe(expected);
  });
});
