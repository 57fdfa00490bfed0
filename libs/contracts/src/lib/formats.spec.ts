import * as fc from 'fast-check';
import {
  ALTINN_URN_PATTERN,
  isAbsoluteUri,
  isJsonMediaType,
  isMediaType,
  isRfc3339,
  isUriReference,
  organisationNumberOf,
  subjectForm,
} from './formats';
import { isValidOrganisationNumber } from './org-number';

describe('isValidOrganisationNumber (mod 11, weights 3,2,7,6,5,4,3,2)', () => {
  it.each([
    ['311000004', 'synthetic sender in the samples'],
    ['312000008', 'synthetic recipient in the samples'],
    ['974760673', 'Brønnøysundregistrene'],
    ['991825827', 'Digitaliseringsdirektoratet'],
  ])('accepts %s (%s)', (orgnr) => {
    expect(isValidOrganisationNumber(orgnr)).toBe(true);
  });

  it.each([
    ['123456789', 'the docs placeholder: check digit would be 5'],
    ['311000005', 'wrong check digit'],
    ['31100000', '8 digits'],
    ['3110000040', '10 digits'],
    ['31100000A', 'a letter'],
    [' 311000004', 'leading space'],
    ['３１１０００００４', 'full-width digits'],
    ['', 'empty'],
  ])('rejects %j (%s)', (orgnr) => {
    expect(isValidOrganisationNumber(orgnr)).toBe(false);
  });

  it('computes the check digit with the weights in order', () => {
    // 1*3 + 5*2 = 13, remainder 2, check 11 - 2 = 9
    expect(isValidOrganisationNumber('100000059')).toBe(true);
    // 2*3 + 1*2 = 8, remainder 8, check 3
    expect(isValidOrganisationNumber('200000013')).toBe(true);
    // all zero: remainder 0, check 0
    expect(isValidOrganisationNumber('000000000')).toBe(true);
  });

  it('rejects every number whose prefix would need check digit 10', () => {
    // 6*2 = 12, remainder 1, check 11 - 1 = 10: no digit can be right
    for (let d = 0; d <= 9; d++) expect(isValidOrganisationNumber(`00000006${d}`)).toBe(false);
  });

  it('for every 8-digit prefix at most one check digit is valid', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{8}$/), (prefix) => {
        const valid = [...'0123456789'].filter((d) => isValidOrganisationNumber(prefix + d));
        expect(valid.length).toBeLessThanOrEqual(1);
      }),
      { numRuns: 500 },
    );
  });
});

describe('isRfc3339', () => {
  it.each([
    '2026-11-20T09:00:12.250000Z',
    '2026-11-20T09:00:12.2500000Z',
    '2026-11-20T09:00:12Z',
    '2026-11-20T09:00:12.1+01:00',
    '2026-11-20T09:00:12-23:59',
    '2024-02-29T23:59:59Z',
    '2000-02-29T00:00:00Z',
    '2026-11-20t09:00:12z',
  ])('accepts %s', (value) => {
    expect(isRfc3339(value)).toBe(true);
  });

  it.each([
    '2026-11-20T09:00:12',
    '2026-11-20 09:00:12Z',
    '2026-11-20T09:00Z',
    '2026-13-01T00:00:00Z',
    '2026-00-01T00:00:00Z',
    '2026-04-31T00:00:00Z',
    '1900-02-29T00:00:00Z',
    '2026-11-20T09:60:00Z',
    '2026-11-20T09:00:60Z',
    '2026-11-20T09:00:00+24:00',
    '2026-11-20T09:00:00+01:60',
    '2026-11-20T09:00:00.Z',
    '2026-11-20T09:00:00.1234567890Z',
    '2026-11-20T09:00:00+0100',
    '+02026-11-20T09:00:00Z',
    '',
  ])('rejects %j', (value) => {
    expect(isRfc3339(value)).toBe(false);
  });

  it('accepts what Date#toISOString writes, and Date can read everything it accepts with Z', () => {
    fc.assert(
      fc.property(fc.date({ noInvalidDate: true, min: new Date(0), max: new Date('9999-12-31') }), (d) => {
        const iso = d.toISOString();
        expect(isRfc3339(iso)).toBe(true);
        expect(new Date(iso).getTime()).toBe(d.getTime());
      }),
      { numRuns: 500 },
    );
  });
});

describe('URIs and media types', () => {
  it.each([
    'https://platform.tt02.altinn.no/broker/api/v1/filetransfer',
    '/broker/api/v1/filetransfer',
    'urn:altinn:broker',
    'mailto:x@example.com',
    'relative/path?x=1#frag',
    'https://x/%20y',
    '#fragment',
  ])('isUriReference accepts %s', (value) => {
    expect(isUriReference(value)).toBe(true);
  });

  it.each(['', 'a b', 'https://x/%2', 'https://x/%zz', '1ab:c', 'a:b#c#d', 'https://x/<y>', 'é', 'x\n'])(
    'isUriReference rejects %j',
    (value) => {
      expect(isUriReference(value)).toBe(false);
    },
  );

  it('isAbsoluteUri needs a scheme', () => {
    expect(isAbsoluteUri('https://example.com/s.json')).toBe(true);
    expect(isAbsoluteUri('urn:x:y')).toBe(true);
    expect(isAbsoluteUri('/s.json')).toBe(false);
    expect(isAbsoluteUri('s.json')).toBe(false);
  });

  it('every generated web URL is a URI-reference and absolute', () => {
    fc.assert(
      fc.property(fc.webUrl({ withQueryParameters: true, withFragments: true }), (url) => {
        expect(isUriReference(url)).toBe(true);
        expect(isAbsoluteUri(url)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it.each([
    ['application/json', true, true],
    ['application/json; charset=utf-8', true, true],
    ['Application/JSON;charset="utf-8"', true, true],
    ['application/problem+json', true, true],
    ['text/json', true, true],
    ['text/plain', true, false],
    ['application/cloudevents+json', true, false],
    ['application/xml', true, false],
    ['json', false, false],
    ['application/json; charset', false, false],
    ['', false, false],
  ])('%j: media type %s, JSON %s', (value, media, json) => {
    expect(isMediaType(value)).toBe(media);
    expect(isJsonMediaType(value)).toBe(json);
  });
});

describe('Altinn URNs and subjects', () => {
  it.each([
    ['urn:altinn:resource:altinn-broker-test-resource-1', true],
    ['urn:altinn:resource:app_ttd_app', true],
    ['urn:altinn:organization:identifier-no:312000008', true],
    ['urn:altinn:resource:Upper', false],
    ['URN:altinn:resource:x', false],
    ['urn:altinn', false],
    ['urn:altinn:resource:', false],
    ['urn:altinn:resource:a b', false],
    [`urn:${'a'.repeat(31)}:x`, false],
    [`urn:a${':b'.repeat(11)}`, false],
  ])('ALTINN_URN_PATTERN on %s is %s', (value, ok) => {
    expect(ALTINN_URN_PATTERN.test(value)).toBe(ok);
  });

  it.each([
    ['urn:altinn:organization:identifier-no:312000008', 'organisation-urn', '312000008'],
    ['/organisation/312000008', 'organisation-legacy', '312000008'],
    ['/party/50015641', 'party', undefined],
    ['urn:altinn:person:identifier-no:01017012345', 'person-urn', undefined],
    ['urn:altinn:organization:identifier-no:3120000081', undefined, undefined],
    ['/organisation/312000008/', undefined, undefined],
    ['/party/', undefined, undefined],
    ['/party/abc', undefined, undefined],
    ['urn:altinn:person:identifier-no:0101701234', undefined, undefined],
    ['/org/ttd', undefined, undefined],
  ])('%s is %s (orgnr %s)', (value, form, orgnr) => {
    expect(subjectForm(value)).toBe(form);
    expect(organisationNumberOf(value)).toBe(orgnr);
  });
});
