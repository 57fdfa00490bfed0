import { BrokerEventType, CURRENT_BROKER_EVENT_TYPES } from './event-types';
import {
  ALTINN_ENVIRONMENTS,
  SubscriptionFilterError,
  SubscriptionRequest,
  brokerSubscriptions,
  subscriptionRequest,
} from './subscriptions';
import { Violation } from './violation';

const base = {
  environment: 'tt02' as const,
  resourceId: 'altinn-broker-test-resource-1',
  organisationNumber: '312000008',
  endPoint: 'https://events.example.no/altinn/events/s3cr3t-path-token',
};

function problemsOf(fn: () => unknown): Violation[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof SubscriptionFilterError) return err.problems;
    throw err;
  }
  throw new Error('expected a SubscriptionFilterError');
}

const pathsOf = (fn: () => unknown) => problemsOf(fn).map((p) => p.path);

describe('ALTINN_ENVIRONMENTS', () => {
  it('has the TT02 and production endpoints and push source addresses', () => {
    expect(ALTINN_ENVIRONMENTS.tt02).toMatchObject({
      platformBaseUrl: 'https://platform.tt02.altinn.no',
      eventsApi: 'https://platform.tt02.altinn.no/events/api/v1',
      brokerApi: 'https://platform.tt02.altinn.no/broker/api/v1',
      pushSourceCidrs: ['20.100.24.41/32'],
    });
    expect(ALTINN_ENVIRONMENTS.production).toMatchObject({
      platformBaseUrl: 'https://platform.altinn.no',
      eventsApi: 'https://platform.altinn.no/events/api/v1',
      brokerApi: 'https://platform.altinn.no/broker/api/v1',
      pushSourceCidrs: ['20.100.46.139/32'],
    });
  });

  it('derives every URL from the platform base URL', () => {
    for (const env of Object.values(ALTINN_ENVIRONMENTS)) {
      for (const url of [
        env.eventsApi,
        env.subscriptionsUrl,
        env.brokerApi,
        env.brokerEventSource,
        env.tokenExchangeUrl,
      ]) {
        expect(url.startsWith(`${env.platformBaseUrl}/`)).toBe(true);
      }
      expect(env.subscriptionsUrl).toBe(`${env.eventsApi}/subscriptions`);
    }
  });
});

describe('brokerSubscriptions', () => {
  it('builds what Altinn accepts for Broker today: resource + org URN subject, one request per type', () => {
    const requests = brokerSubscriptions({
      ...base,
      types: [BrokerEventType.Published, BrokerEventType.FileNeverConfirmedDownloaded],
    });
    expect(requests).toEqual([
      {
        endPoint: base.endPoint,
        resourceFilter: 'urn:altinn:resource:altinn-broker-test-resource-1',
        subjectFilter: 'urn:altinn:organization:identifier-no:312000008',
        typeFilter: 'no.altinn.broker.published',
      },
      {
        endPoint: base.endPoint,
        resourceFilter: 'urn:altinn:resource:altinn-broker-test-resource-1',
        subjectFilter: 'urn:altinn:organization:identifier-no:312000008',
        typeFilter: 'no.altinn.broker.fileneverconfirmeddownloaded',
      },
    ]);
  });

  it('builds one request without typeFilter when types are left out', () => {
    expect(brokerSubscriptions(base)).toEqual([
      {
        endPoint: base.endPoint,
        resourceFilter: 'urn:altinn:resource:altinn-broker-test-resource-1',
        subjectFilter: 'urn:altinn:organization:identifier-no:312000008',
      },
    ]);
  });

  it('subscribes to every current type', () => {
    expect(brokerSubscriptions({ ...base, types: [...CURRENT_BROKER_EVENT_TYPES] })).toHaveLength(8);
  });

  it('takes the resource as a full URN too', () => {
    expect(
      brokerSubscriptions({ ...base, resourceId: 'urn:altinn:resource:altinn-broker-test-resource-1' }),
    ).toEqual(brokerSubscriptions(base));
  });

  it('lists every problem at once', () => {
    const problems = problemsOf(() =>
      brokerSubscriptions({
        environment: 'staging' as 'tt02',
        resourceId: 'Altinn-Broker-Test',
        organisationNumber: '123456789',
        endPoint: 'http://events.example.no/hook',
        types: [
          'no.altinn.broker.Published',
          'no.altinn.broker.filearchived',
          'no.altinn.broker.filedeleted',
          'platform.events.validatesubscription',
          'no.altinn.broker.uploadfailed',
          'no.altinn.broker.uploadfailed',
        ],
      }),
    );
    expect(problems.map((p) => p.path)).toEqual([
      'environment',
      'resourceId',
      'organisationNumber',
      'endPoint',
      'types[0]',
      'types[1]',
      'types[2]',
      'types[3]',
      'types[5]',
    ]);
    const reasons = problems.map((p) => p.reason).join('\n');
    expect(reasons).toMatch(/must be lowercase/);
    expect(reasons).toMatch(/mod-11/);
    expect(reasons).toMatch(/must use https/);
    expect(reasons).toMatch(/retired/);
    expect(reasons).toMatch(/listed twice/);
  });

  it('puts every problem in the error message', () => {
    expect(() => brokerSubscriptions({ ...base, organisationNumber: '1', endPoint: 'ftp://x' })).toThrow(
      /organisationNumber: must be exactly 9 digits[\s\S]*endPoint: must use https/,
    );
  });

  it.each([
    ['an 8-digit number', '31200000'],
    ['a 10-digit number', '3120000080'],
    ['letters', '31200000A'],
    ['an org URN', 'urn:altinn:organization:identifier-no:312000008'],
  ])('rejects %s as organisation number', (_name, organisationNumber) => {
    expect(pathsOf(() => brokerSubscriptions({ ...base, organisationNumber }))).toEqual([
      'organisationNumber',
    ]);
  });

  it('allows a synthetic number failing mod-11 in TT02 when asked explicitly, never in production', () => {
    expect(pathsOf(() => brokerSubscriptions({ ...base, organisationNumber: '123456789' }))).toEqual([
      'organisationNumber',
    ]);
    expect(
      brokerSubscriptions({
        ...base,
        organisationNumber: '123456789',
        allowSyntheticOrganisationNumber: true,
      })[0].subjectFilter,
    ).toBe('urn:altinn:organization:identifier-no:123456789');
    expect(
      pathsOf(() =>
        brokerSubscriptions({ ...base, environment: 'production', allowSyntheticOrganisationNumber: true }),
      ),
    ).toEqual(['allowSyntheticOrganisationNumber']);
  });

  it('rejects an empty types list (it would subscribe to nothing)', () => {
    expect(pathsOf(() => brokerSubscriptions({ ...base, types: [] }))).toEqual(['types']);
  });

  it.each([
    ['relative', '/altinn/events'],
    ['not a URL', 'events.example.no'],
    ['http', 'http://events.example.no/hook'],
    ['with a space', 'https://events.example.no/a b'],
    ['empty', ''],
  ])('rejects a %s endPoint', (_name, endPoint) => {
    expect(pathsOf(() => brokerSubscriptions({ ...base, endPoint }))).toEqual(['endPoint']);
  });

  it('rejects an app resource (it is not a Broker resource)', () => {
    expect(
      problemsOf(() => brokerSubscriptions({ ...base, resourceId: 'app_ttd_my-app' }))[0].reason,
    ).toMatch(/brokerResource: false/);
  });
});

describe('subscriptionRequest', () => {
  const broker: SubscriptionRequest = {
    endPoint: base.endPoint,
    resourceFilter: 'urn:altinn:resource:altinn-broker-test-resource-1',
    subjectFilter: 'urn:altinn:organization:identifier-no:312000008',
  };

  it('returns a clean copy of a valid generic request, with every field Altinn knows', () => {
    const request = subscriptionRequest({
      ...broker,
      typeFilter: BrokerEventType.Published,
      includeSubunits: true,
    });
    expect(request).toEqual({ ...broker, typeFilter: BrokerEventType.Published, includeSubunits: true });
  });

  it('drops null fields (Altinn wants them left out)', () => {
    const withNulls = {
      ...broker,
      typeFilter: null,
      includeSubunits: null,
    } as unknown as SubscriptionRequest;
    expect(subscriptionRequest(withNulls)).toEqual(broker);
  });

  it.each<[string, Partial<Record<string, unknown>>, string[]]>([
    ['a missing endPoint', { endPoint: undefined }, ['endPoint']],
    ['a missing resourceFilter', { resourceFilter: undefined }, ['resourceFilter']],
    ['an upper-case resourceFilter', { resourceFilter: 'urn:altinn:resource:Broker' }, ['resourceFilter']],
    ['a resourceFilter that is not a URN', { resourceFilter: 'altinn-broker' }, ['resourceFilter']],
    [
      'a resourceFilter outside urn:altinn:resource:',
      { resourceFilter: 'urn:altinn:org:x' },
      ['resourceFilter'],
    ],
    [
      'a sourceFilter',
      { sourceFilter: 'https://platform.tt02.altinn.no/broker/api/v1/filetransfer' },
      ['sourceFilter'],
    ],
    [
      'an alternativeSubjectFilter',
      { alternativeSubjectFilter: '/organisation/312000008' },
      ['alternativeSubjectFilter'],
    ],
    ['an empty typeFilter', { typeFilter: '' }, ['typeFilter']],
    ['a blank subjectFilter', { subjectFilter: '  ' }, ['subjectFilter']],
    ['a padded typeFilter', { typeFilter: ' no.altinn.broker.published' }, ['typeFilter']],
    ['a capitalised Broker typeFilter', { typeFilter: 'no.altinn.broker.Published' }, ['typeFilter']],
    ['an unknown Broker typeFilter', { typeFilter: 'no.altinn.broker.filearchived' }, ['typeFilter']],
    ['the retired typeFilter', { typeFilter: 'no.altinn.broker.filedeleted' }, ['typeFilter']],
    [
      'includeSubunits without subjectFilter',
      { subjectFilter: undefined, includeSubunits: true },
      ['includeSubunits'],
    ],
    ['includeSubunits as a string', { includeSubunits: 'true' }, ['includeSubunits']],
    ['a non-string filter', { subjectFilter: 312000008 }, ['subjectFilter']],
    ['the legacy /organisation/ subject', { subjectFilter: '/organisation/312000008' }, ['subjectFilter']],
    [
      'an org URN without 9 digits',
      { subjectFilter: 'urn:altinn:organization:identifier-no:3120' },
      ['subjectFilter'],
    ],
    ['consumer (set by Altinn)', { consumer: '/org/ttd' }, ['consumer']],
    ['a misspelt field', { endpoint: 'https://x' }, ['endpoint']],
  ])('rejects %s', (_name, change, paths) => {
    const request = { ...broker, ...change } as SubscriptionRequest;
    expect(pathsOf(() => subscriptionRequest(request))).toEqual(paths);
  });

  it('accepts a non-Broker type on a generic resource (e.g. Correspondence)', () => {
    const request = { ...broker, typeFilter: 'no.altinn.correspondence.published' };
    expect(subscriptionRequest(request).typeFilter).toBe('no.altinn.correspondence.published');
  });

  it('rejects a non-object request', () => {
    expect(pathsOf(() => subscriptionRequest(null as unknown as SubscriptionRequest))).toEqual(['']);
  });

  describe('with { brokerResource: false } (app resources)', () => {
    const guideForm: SubscriptionRequest = {
      endPoint: base.endPoint,
      sourceFilter: 'https://ttd.apps.tt02.altinn.no/ttd/my-app',
      alternativeSubjectFilter: '/organisation/312000008',
    };

    it('builds the public guide’s sourceFilter + alternativeSubjectFilter form', () => {
      expect(subscriptionRequest(guideForm, { brokerResource: false })).toEqual(guideForm);
    });

    it('still refuses it for a Broker (generic) resource by default', () => {
      expect(pathsOf(() => subscriptionRequest(guideForm))).toEqual([
        'resourceFilter',
        'sourceFilter',
        'alternativeSubjectFilter',
      ]);
    });

    it('needs resourceFilter or sourceFilter, and an https sourceFilter', () => {
      expect(
        pathsOf(() => subscriptionRequest({ endPoint: base.endPoint }, { brokerResource: false })),
      ).toEqual(['resourceFilter']);
      expect(
        pathsOf(() =>
          subscriptionRequest(
            { ...guideForm, sourceFilter: 'http://ttd.apps.tt02.altinn.no/ttd/my-app' },
            { brokerResource: false },
          ),
        ),
      ).toEqual(['sourceFilter']);
    });

    it('accepts an app resourceFilter', () => {
      const request = { endPoint: base.endPoint, resourceFilter: 'urn:altinn:resource:app_ttd_my-app' };
      expect(subscriptionRequest(request, { brokerResource: false })).toEqual(request);
      expect(pathsOf(() => subscriptionRequest(request))).toEqual(['resourceFilter']);
    });
  });
});
