import { newClusterId } from './broker';

describe('newClusterId', () => {
  it('gives 22-character base64url ids that never start with "-" (StorageTool would read that as an option)', () => {
    const ids = Array.from({ length: 5000 }, () => newClusterId());
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
