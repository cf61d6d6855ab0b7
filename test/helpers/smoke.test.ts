import { startMoto } from '../../scripts/servers/moto';
import { basicAuth, pushImage, startRegistry } from '../../scripts/servers/registry';

describe('test servers', () => {
  it('starts a registry with htpasswd that accepts a push with the right credentials only', async () => {
    const user = { username: 'bot', password: 's3cret-pass' };
    const registry = await startRegistry({ kind: 'htpasswd', users: [user] });
    try {
      const pushed = await pushImage(registry.url, 'team/app', 'v1', basicAuth(user));
      const anonymous = await fetch(`${registry.url}/v2/`);
      expect(anonymous.status).toBe(401);
      expect(pushed.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    } finally {
      await registry.stop();
    }
  });

  it('starts moto configured to run Batch without Docker', async () => {
    const moto = await startMoto();
    try {
      const response = await fetch(`${moto.endpoint}/moto-api/config`);
      expect(await response.json()).toMatchObject({ batch: { use_docker: false } });
    } finally {
      await moto.stop();
    }
  });
});
