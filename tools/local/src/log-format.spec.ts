import { formatLine, isWorthShowing } from './log-format';

describe('the local stack log lines', () => {
  it('condenses an app JSON line to name, level, message and its own fields', () => {
    const line = JSON.stringify({
      level: 'info',
      time: '2026-11-28T00:00:00.000Z',
      service: 'archive',
      message: 'consumer started',
      consumer: 'archive',
      port: 8083,
      assignment: { t: [0, 1] },
    });
    expect(formatLine('archive', line)).toBe(
      'archive  │ info  consumer started consumer=archive port=8083 assignment={"t":[0,1]}',
    );
  });

  it('shows other output as it is, and hides Nest route and module listings', () => {
    expect(formatLine('kafka', 'Kafka 4.3.1 ready')).toBe('kafka    │ Kafka 4.3.1 ready');
    expect(
      isWorthShowing(JSON.stringify({ level: 'info', message: 'Mapped {/x}', context: 'RouterExplorer' })),
    ).toBe(false);
    expect(isWorthShowing(JSON.stringify({ level: 'error', message: 'boom', context: 'Pipeline' }))).toBe(
      true,
    );
    expect(isWorthShowing('{not json')).toBe(true);
  });
});
