import { apiError, coerceError, exitCodeForStatus } from '../../src/errors';

describe('exit codes by error class', () => {
  it('maps HTTP statuses to the documented classes', () => {
    const table: [number, number][] = [
      [200, 0],
      [400, 2],
      [422, 2],
      [404, 3],
      [410, 3],
      [409, 4],
      [423, 4],
      [401, 5],
      [403, 5],
      [429, 6],
      [500, 6],
      [501, 6],
      [503, 6],
      [504, 6],
      [418, 1],
    ];
    for (const [status, code] of table) expect([status, exitCodeForStatus(status)]).toEqual([status, code]);
  });

  it('keeps the API’s error document as is', () => {
    const e = apiError(
      409,
      { error: { code: 'conflict', message: 'decided', details: { a: 1 }, suggestion: 's' } },
      '',
    );
    expect(e).toMatchObject({ code: 'conflict', exitCode: 4, status: 409 });
    expect(e.toJSON()).toEqual({
      error: { code: 'conflict', message: 'decided', details: { a: 1 }, suggestion: 's' },
    });
    const other = apiError(502, '<html>bad gateway</html>', '<html>bad gateway</html>');
    expect(other).toMatchObject({
      code: 'http_502',
      exitCode: 6,
      message: 'the server answered HTTP 502: <html>bad gateway</html>',
    });
  });

  it('turns transport failures into unavailable errors with a hint', () => {
    const refused = coerceError(
      Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }),
      {
        url: 'http://127.0.0.1:1',
      },
    );
    expect(refused).toMatchObject({
      code: 'connection_failed',
      exitCode: 6,
      message: 'cannot reach http://127.0.0.1:1 (ECONNREFUSED)',
    });
    expect(refused.suggestion).toMatch(/npm start/);
    expect(refused.cause).toBeInstanceOf(TypeError);
    const timeout = coerceError(new DOMException('t', 'TimeoutError'));
    expect(timeout).toMatchObject({ code: 'timeout', exitCode: 6 });
    expect(coerceError('boom')).toMatchObject({ code: 'unexpected', exitCode: 1, message: 'boom' });
  });
});
