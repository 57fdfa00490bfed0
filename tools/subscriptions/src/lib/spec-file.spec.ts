import { join } from 'node:path';
import { SpecFileError, parseSubscriptionsFile, readSubscriptionsFile, redactEndpoint } from './spec-file';

const SECRET = 'webhook-secret-token-0123456789abcdef';

describe('the subscriptions file', () => {
  it('reads the example file: one request per type, subject from the organisation, secret from the environment', () => {
    const file = readSubscriptionsFile(join(__dirname, '../../../../subscriptions.example.yaml'), {
      WEBHOOK_TOKEN: SECRET,
    });
    expect(file.environment).toBe('tt02');
    expect(file.validationGraceMinutes).toBe(10);
    expect(file.requests).toEqual(
      [
        'no.altinn.broker.published',
        'no.altinn.broker.downloadconfirmed',
        'no.altinn.broker.fileneverconfirmeddownloaded',
      ].map((typeFilter) => ({
        endPoint: `https://broker-events.example.no/altinn/events/${SECRET}`,
        resourceFilter: 'urn:altinn:resource:altinn-broker-test-resource-1',
        subjectFilter: 'urn:altinn:organization:identifier-no:312000008',
        typeFilter,
      })),
    );
  });

  it('reads JSON too, and one entry without types gives one subscription for every type', () => {
    const file = parseSubscriptionsFile(
      JSON.stringify({
        environment: 'production',
        organisationNumber: '974760673',
        endPoint: 'https://x.example.no/hook/abc',
        subscriptions: [{ resource: 'my-resource' }],
      }),
      'subs.json',
      {},
    );
    expect(file.requests).toEqual([
      {
        endPoint: 'https://x.example.no/hook/abc',
        resourceFilter: 'urn:altinn:resource:my-resource',
        subjectFilter: 'urn:altinn:organization:identifier-no:974760673',
      },
    ]);
  });

  it('lists every problem with its path, and never prints the endpoint’s secret', () => {
    const yaml = `
environment: prod
endPoint: http://x.example.no/hook/\${WEBHOOK_TOKEN}
colour: blue
subscriptions:
  - resource: my-resource
    organisationNumber: "312000008"
    types: [no.altinn.broker.Published]
  - types: [no.altinn.broker.published]
`;
    let error: unknown;
    try {
      parseSubscriptionsFile(yaml, 'subs.yaml', {});
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SpecFileError);
    const problems = (error as SpecFileError).problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        'colour: unknown key (use environment, organisationNumber, endPoint, allowSyntheticOrganisationNumber, validationGraceMinutes, subscriptions)',
        'environment: must be tt02 or production',
        'endPoint: uses ${WEBHOOK_TOKEN}, which is not set in the environment',
        'subscriptions[1].resource: is required',
        'subscriptions[1].organisationNumber: is required (here or at the top)',
      ]),
    );

    const second = `
environment: tt02
organisationNumber: "312000008"
endPoint: http://x.example.no/hook/\${WEBHOOK_TOKEN}
subscriptions:
  - resource: my-resource
    types: [no.altinn.broker.Published, no.altinn.broker.filedeleted]
`;
    try {
      parseSubscriptionsFile(second, 'subs.yaml', { WEBHOOK_TOKEN: SECRET });
    } catch (e) {
      error = e;
    }
    const text = (error as SpecFileError).message;
    expect(text).toContain('subscriptions[0].endPoint');
    expect(text).toContain('must be lowercase');
    expect(text).toContain('retired');
    expect(text).not.toContain(SECRET);
  });

  it('refuses a type listed twice across entries', () => {
    const yaml = `
environment: tt02
organisationNumber: "312000008"
endPoint: https://x.example.no/hook/abc
subscriptions:
  - resource: r1
    types: [no.altinn.broker.published]
  - resource: r1
    types: [no.altinn.broker.published]
`;
    expect(() => parseSubscriptionsFile(yaml, 's.yaml', {})).toThrow(/already listed/);
  });

  it('hides the path token and query of an endpoint', () => {
    expect(redactEndpoint(`https://x.example.no/altinn/events/${SECRET}`)).toBe(
      'https://x.example.no/altinn/events/***',
    );
    expect(redactEndpoint('https://x.example.no/hook?code=abc')).toBe('https://x.example.no/***?***');
    expect(redactEndpoint('not a url')).toBe('***');
  });
});
