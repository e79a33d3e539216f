import { ErrorCode } from './errors';

/**
 * JSON-RPC error codes from the runtime mapped to our stable codes. Decided by code, never by
 * matching message text.
 */
export const JSONRPC_ERROR_MAP: Record<number, ErrorCode> = {
  [-32700]: ErrorCode.invalidRequest, // parse error
  [-32600]: ErrorCode.invalidRequest, // invalid request (also: experimental capability missing)
  [-32601]: ErrorCode.notSupported, // method not found
  [-32602]: ErrorCode.invalidRequest, // invalid params
  [-32603]: ErrorCode.runtimeError, // internal error
};

export const mapJsonRpcError = (code: number): ErrorCode => JSONRPC_ERROR_MAP[code] ?? ErrorCode.runtimeError;
