import { ChannelPacer } from './channel-pacer';

describe('ChannelPacer', () => {
  it('spaces messages to one channel by the interval, lets other channels go, and honours a 429 back-off', async () => {
    let now = 0;
    const sent: [string, number][] = [];
    const pacer = new ChannelPacer(
      1000,
      () => now,
      async (ms) => {
        now += ms;
      },
    );
    const send = (channel: string) => pacer.run(channel, async () => void sent.push([channel, now]));
    await Promise.all([send('a'), send('a'), send('b'), send('a')]);
    expect(sent).toEqual([
      ['a', 0],
      ['b', 0],
      ['a', 1000],
      ['a', 2000],
    ]);
    pacer.backOff('b', 30_000);
    await send('b');
    expect(sent[sent.length - 1]).toEqual(['b', 32_000]);
  });

  it('keeps serving a channel after a failed send', async () => {
    const pacer = new ChannelPacer(0);
    await expect(pacer.run('a', async () => Promise.reject(new Error('429')))).rejects.toThrow('429');
    await expect(pacer.run('a', async () => 'ok')).resolves.toBe('ok');
  });
});
