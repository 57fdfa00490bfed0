import { metricByResource } from './poller.client';

describe('metricByResource', () => {
  it('reads one gauge per resource from a Prometheus exposition', () => {
    const text = [
      '# HELP poller_stalled 1 while …',
      '# TYPE poller_stalled gauge',
      'poller_stalled{resource="urn:altinn:resource:a",service="poller"} 1',
      'poller_stalled{service="poller",resource="urn:altinn:resource:b"} 0',
      'poller_stalled_other{resource="x"} 5',
    ].join('\n');
    expect([...metricByResource(text, 'poller_stalled')]).toEqual([
      ['urn:altinn:resource:a', 1],
      ['urn:altinn:resource:b', 0],
    ]);
  });
});
