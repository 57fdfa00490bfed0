import { ObservabilityModule, createLogger } from '@broker-events/observability';
import { Test } from '@nestjs/testing';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { HEALTH_PATHS } from './apps';

// The probe and health-check paths in docker/ and k8s/ come from HEALTH_PATHS; this proves them against the
// real endpoints every app gets from libs/observability.
describe('HEALTH_PATHS are the endpoints every app serves', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        ObservabilityModule.forRoot({
          service: 'deploy-check',
          logger: createLogger('deploy-check', 'silent'),
          defaultMetrics: false,
        }),
      ],
    }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  afterAll(async () => {
    await app.close();
  });

  it.each([
    ['live', HEALTH_PATHS.live, [200]],
    ['ready', HEALTH_PATHS.ready, [200, 503]],
    ['metrics', HEALTH_PATHS.metrics, [200]],
  ])('%s: GET %s answers', async (_kind, path, statuses) => {
    const res = await app.inject({ method: 'GET', url: path });
    expect(statuses).toContain(res.statusCode);
  });

  it('an unknown path is a 404, so the check above can fail', async () => {
    const res = await app.inject({ method: 'GET', url: '/health/nope' });
    expect(res.statusCode).toBe(404);
  });
});
