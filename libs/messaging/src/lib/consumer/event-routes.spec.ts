import { attributesFromEvent, compileFilter } from '@broker-events/contracts';
import { sampleEvent } from '@broker-events/contracts/testing';
import { RouteConfigError, anyRoute, compileRoutes, matchingRoutes } from './event-routes';

const target = (rule: Record<string, unknown>, at: string, problems: string[]): string | undefined => {
  if (typeof rule['to'] !== 'string') {
    problems.push(`${at}.to must be a string`);
    return undefined;
  }
  return rule['to'];
};

describe('compileRoutes', () => {
  const routes = compileRoutes(
    JSON.stringify([
      {
        name: 'published to recipients of 312000008',
        types: ['no.altinn.broker.published'],
        roles: ['Recipient'],
        organisations: ['312000008'],
        to: 'a',
      },
      {
        resources: ['altinn-broker-test-resource-1'],
        types: ['no.altinn.broker.uploadfailed', 'no.altinn.broker.filepurged'],
        to: 'b',
      },
      { when: { prefix: { type: 'no.altinn.broker.download' } }, to: 'c' },
    ]),
    target,
    ['to'],
  );

  it('matches by type, resource, role and organisation, and by a raw filter', () => {
    const at = (o: Record<string, unknown>) =>
      matchingRoutes(routes, attributesFromEvent(sampleEvent(o))).map((r) => r.target);
    expect(at({})).toEqual(['a']);
    expect(at({ subject: 'urn:altinn:organization:identifier-no:311000004' })).toEqual([]);
    expect(at({ data: { Role: 'Sender' } })).toEqual([]);
    expect(at({ type: 'no.altinn.broker.uploadfailed', data: { Role: 'Sender' } })).toEqual(['b']);
    expect(at({ type: 'no.altinn.broker.uploadfailed', resource: 'urn:altinn:resource:other' })).toEqual([]);
    expect(at({ type: 'no.altinn.broker.downloadconfirmed' })).toEqual(['c']);
    expect(routes[0].name).toBe('published to recipients of 312000008');
    expect(routes[1].name).toBe('rule 2');
  });

  it('gives the pipeline one filter: any rule', () => {
    const any = compileFilter(anyRoute(routes));
    expect(any(attributesFromEvent(sampleEvent({ type: 'no.altinn.broker.filepurged' })))).toBe(true);
    expect(any(attributesFromEvent(sampleEvent({ type: 'no.altinn.broker.filetransferinitialized' })))).toBe(
      false,
    );
  });

  it('reports every problem of every rule at once', () => {
    const attempt = () =>
      compileRoutes(
        JSON.stringify([
          { types: ['no.altinn.broker.Published'], to: 'a' },
          { roles: ['Owner'], organisations: ['12'], colour: 'red' },
          { when: { exact: { nope: 'x' } }, to: 'c' },
        ]),
        target,
        ['to'],
      );
    expect(attempt).toThrow(RouteConfigError);
    try {
      attempt();
    } catch (error) {
      const problems = (error as RouteConfigError).problems.join('\n');
      expect(problems).toMatch(/rule 1.types: "no.altinn.broker.Published" must be lowercase/);
      expect(problems).toMatch(/rule 2 has an unknown field "colour"/);
      expect(problems).toMatch(/rule 2.roles: "Owner"/);
      expect(problems).toMatch(/rule 2.to must be a string/);
      expect(problems).toMatch(/rule 3: when/);
    }
    expect(() => compileRoutes('{', target, ['to'])).toThrow(/not valid JSON/);
    expect(() => compileRoutes('[]', target, ['to'])).toThrow(/non-empty JSON array/);
  });
});
