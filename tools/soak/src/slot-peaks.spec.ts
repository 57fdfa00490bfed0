import { SlotPeaks } from './soak';

describe('SlotPeaks', () => {
  it('keeps the highest value of each minute, in order, with empty minutes as 0', () => {
    const start = 1_000_000;
    const peaks = new SlotPeaks(start);
    peaks.note(120, start);
    peaks.note(131, start + 59_999);
    peaks.note(125, start + 30_000);
    peaks.note(140, start + 60_000);
    peaks.note(150, start + 3 * 60_000 + 1);
    expect(peaks.peaks).toEqual([131, 140, 0, 150]);
    expect(peaks.max).toBe(150);
  });

  it('puts a sample taken before the start into the first slot', () => {
    const peaks = new SlotPeaks(5000, 1000);
    peaks.note(7, 4000);
    peaks.note(3, 5500);
    expect(peaks.peaks).toEqual([7]);
  });
});
