/** Polls `GET /api/health` until it answers 200 (ready) or `timeoutMs` passes; returns the last body. */
export async function waitHealthy(
  baseUrl: string,
  timeoutMs: number,
  headers: Record<string, string> = {},
): Promise<{ ok: boolean; body: unknown }> {
  const deadline = Date.now() + timeoutMs;
  let body: unknown = null;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${baseUrl}/api/health`, { headers, signal: AbortSignal.timeout(2000) });
      body = await res.json();
      if (res.status === 200) return { ok: true, body };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  return { ok: false, body };
}
