/**
 * The bridge's wire format, as the core (`zhelikit_domain::bridge`) defines it: a request
 * `{id, method, params}`, an answer `{id, ok, result}` or `{id, ok: false, error}`, an event
 * `{event, data}`. The method table comes from the core too (`methods.json`, generated and
 * checked by a Rust test), so the page and the core cannot disagree on what exists.
 */
import table from "./methods.json" with { type: "json" };

/** A call to the core. */
export interface BridgeRequest {
  id: number | string;
  method: string;
  params: Record<string, unknown>;
}

/** Why a call failed: the platform's numeric `code` (ZWJSBridge or gdt-jsapi), ZheliKit's stable `zkCode`, and a message (zh-CN). */
export interface WireError {
  code: number;
  zkCode: string;
  message: string;
  /** The ZheliKit BFF's problem code behind the failure (`policy_self_approval` …), when there is one. */
  problemCode?: string;
}

/** The core's answer. */
export interface BridgeResponse {
  id: number | string | null;
  ok: boolean;
  result?: unknown;
  error?: WireError;
}

/** Something the core tells the page: `networkChanged`, `sessionExpired`, `uiStyleChanged`. */
export interface BridgeEvent {
  event: string;
  data: unknown;
}

/** One method of the table. */
export interface MethodSpec {
  name: string;
  family: "zwjs" | "gdt" | "zhelikit";
  scope: string | null;
  consent: boolean;
  login: boolean;
  summary: string;
}

/** The version of the method table. */
export const BRIDGE_VERSION: string = table.version;

/** Every method the core serves. */
export const METHODS: readonly MethodSpec[] = table.methods as MethodSpec[];

/**
 * A failed call, as promises reject: `code` is what ZWJSBridge apps compare against (`1001`,
 * `1002`, `1003`, `5`, `-1`; gdt's `1`, `2`, `4`, `7`, `9`, `25`), `zkCode` tells apart what
 * the platform codes do not.
 */
export class BridgeCallError extends Error {
  readonly code: number;
  readonly zkCode: string;
  /** The BFF's problem code behind it (with `zkCode` `refused`: which rule). */
  readonly problemCode?: string;
  readonly method: string;

  constructor(method: string, error: WireError) {
    super(error.message);
    this.name = "BridgeCallError";
    this.code = error.code;
    this.zkCode = error.zkCode;
    this.problemCode = error.problemCode;
    this.method = method;
  }
}
