import { AppError, ErrorCode, ROLES, type Role } from '@codex-manager/core';

export interface TokenEntry {
  role: Role;
  token: string;
}

/**
 * Who may call what. A bearer token carries a role: `CM_API_TOKEN` is admin, `CM_API_TOKENS` adds
 * `role:token` pairs. With no token configured (loopback only) every caller is admin. A route needs
 * its declared `role`, else viewer for reads and operator for changes.
 */
export function tokenTable(apiToken: string | undefined, apiTokens: TokenEntry[] | undefined): TokenEntry[] {
  return [...(apiToken ? [{ role: 'admin' as const, token: apiToken }] : []), ...(apiTokens ?? [])];
}

const rank = (r: Role): number => ROLES.indexOf(r);

export function assertRole(have: Role, need: Role): void {
  if (rank(have) >= rank(need)) return;
  throw new AppError(ErrorCode.forbidden, `this route needs the ${need} role; the token has ${have}`, {
    details: { required: need, role: have },
    suggestion: 'use a token with that role (CM_API_TOKEN is admin; CM_API_TOKENS lists role:token pairs)',
  });
}
