import { TEXTS, chooseLang } from './i18n';

describe('chooseLang', () => {
  it('takes the cookie first, then Accept-Language by quality, then bokmål', () => {
    expect(chooseLang('en', 'nb')).toBe('en');
    expect(chooseLang(undefined, 'en-GB,en;q=0.9')).toBe('en');
    expect(chooseLang(undefined, 'de, en;q=0.5, nb;q=0.8')).toBe('nb');
    expect(chooseLang(undefined, 'no')).toBe('nb');
    expect(chooseLang('xx', 'fr')).toBe('nb');
    expect(chooseLang(undefined, undefined)).toBe('nb');
  });
});

describe('texts', () => {
  it('has every text in both languages, and the numbers in words agree', () => {
    expect(Object.keys(TEXTS.nb).sort()).toEqual(Object.keys(TEXTS.en).sort());
    expect(TEXTS.en.confirmedOf(1, 2)).toBe('1 of 2 recipients confirmed');
    expect(TEXTS.nb.confirmedOf(1, 2)).toBe('1 av 2 mottakere har bekreftet');
  });
});
