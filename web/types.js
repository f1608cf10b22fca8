// Types the page shares, taken from the API's OpenAPI-generated types so the page and the
// contract cannot drift apart silently (tsc checks these modules with checkJs).

/** @typedef {import("../src/contract/openapi.js").components["schemas"]} Schemas */
/** @typedef {Schemas["Run"]} Run */
/** @typedef {Schemas["RunSummary"]} RunSummary */
/** @typedef {Schemas["RunList"]} RunList */
/** @typedef {Schemas["StepRecord"]} StepRecord */
/** @typedef {Schemas["Change"]} Change */
/** @typedef {Schemas["RunEvent"]} RunEvent */
/** @typedef {Schemas["AuditEntry"]} AuditEntry */
/** @typedef {Schemas["AuditList"]} AuditList */
/** @typedef {Schemas["Problem"]} Problem */
/** @typedef {Schemas["WhoAmI"]} WhoAmI */
/** @typedef {Schemas["RunbookList"]} RunbookList */
/** @typedef {Schemas["RunState"]} RunState */
/** @typedef {Schemas["StepState"]} StepState */

export {};
