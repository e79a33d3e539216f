import { checkProtocol } from '../../../ops/tools/codex-protocol-check';

describe('the pinned codex binary', () => {
  it('offers every method, server request and notification the bridge relies on', () => {
    const { version, missing } = checkProtocol();
    expect(version).toBe('codex-cli 0.169.0');
    expect(missing).toEqual([]);
  });
});
