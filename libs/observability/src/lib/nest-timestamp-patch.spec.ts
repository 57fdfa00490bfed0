// patches/@nestjs+common+11.2.10.patch: Nest's logger modules made an Intl.DateTimeFormat when they loaded, which
// loads ICU's locale and time-zone data (~5 MB resident in every app; issue #17, idle RSS in the image). The
// patch makes it at the first timestamp Nest's own log format prints. If an upgrade of @nestjs/common drops the
// patch, this fails: refresh the patch (`npx patch-package @nestjs/common`) or delete it if Nest fixed it.
describe('@nestjs/common with the timestamp patch', () => {
  const Real = Intl.DateTimeFormat;
  let made: unknown[][];

  beforeEach(() => {
    made = [];
    const Counting = function (this: unknown, ...args: unknown[]) {
      made.push(args);
      return new Real(...(args as ConstructorParameters<typeof Real>));
    } as unknown as typeof Intl.DateTimeFormat;
    Intl.DateTimeFormat = Counting;
  });

  afterEach(() => {
    Intl.DateTimeFormat = Real;
  });

  it('makes no date formatter when it loads, and one at the first timestamp of its console format', () => {
    jest.isolateModules(() => {
      const { ConsoleLogger, Logger } = require('@nestjs/common') as typeof import('@nestjs/common');
      expect(made).toEqual([]);

      const logger = new (class extends ConsoleLogger {
        stamp(): string {
          return this.getTimestamp();
        }
      })();
      expect(logger.stamp()).toMatch(/\d{2}.*\d{4}|\d{4}.*\d{2}/);
      expect(made).toHaveLength(1);
      logger.stamp();
      expect(made).toHaveLength(1);
      expect(Logger.getTimestamp()).toMatch(/\d{2}.*\d{4}|\d{4}.*\d{2}/);
      expect(made).toHaveLength(2);
    });
  });
});
