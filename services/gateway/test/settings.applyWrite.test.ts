import { applyWrite, mergePatch } from '@codex-manager/core';

describe('applyWrite', () => {
  const current = { theme: { color: 'dark', size: 12 }, lang: 'en', tags: ['a', 'b'] };

  it('merges objects key by key at every depth and deletes keys set to null', () => {
    expect(applyWrite(current, { theme: { size: null, font: 'mono' }, lang: null }, 'merge')).toEqual({
      theme: { color: 'dark', font: 'mono' },
      tags: ['a', 'b'],
    });
  });

  it('replaces arrays and scalars whole instead of merging them', () => {
    expect(applyWrite(current, { tags: ['c'], theme: 'plain' }, 'merge')).toEqual({
      theme: 'plain',
      lang: 'en',
      tags: ['c'],
    });
  });

  it('replace makes the given object the whole new value, dropping its nulls', () => {
    expect(applyWrite(current, { lang: 'fr', gone: null, nested: { a: null, b: 1 } }, 'replace')).toEqual({
      lang: 'fr',
      nested: { b: 1 },
    });
  });

  it('never mutates the current settings', () => {
    const before = JSON.stringify(current);
    applyWrite(current, { theme: { color: 'light' } }, 'merge');
    expect(JSON.stringify(current)).toBe(before);
  });

  it('follows RFC 7396 for its own examples', () => {
    expect(
      mergePatch(
        { title: 'Goodbye!', author: { givenName: 'John', familyName: 'Doe' }, tags: ['example', 'sample'] },
        { title: 'Hello!', phoneNumber: '+01-123-456-7890', author: { familyName: null }, tags: ['example'] },
      ),
    ).toEqual({
      title: 'Hello!',
      author: { givenName: 'John' },
      tags: ['example'],
      phoneNumber: '+01-123-456-7890',
    });
    expect(mergePatch({ a: 'b' }, { a: { bb: { ccc: null } } })).toEqual({ a: { bb: {} } });
    expect(mergePatch({ a: 'foo' }, 'bar')).toBe('bar');
    expect(mergePatch(['a', 'b'], { a: 'b' })).toEqual({ a: 'b' });
  });
});
