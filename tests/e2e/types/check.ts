// Compile-only check of the generated .d.ts: the options, events and their details are typed,
// and misuse is a type error (`@ts-expect-error` fails the check if the error disappears).
import init, { TokenManager, decodeJwt, type TokenManagerOptions, type TokenManagerError } from "../../../pkg/wasm_token_manager.js";

await init();
const options: TokenManagerOptions = { refreshUrl: "/auth/refresh", allowedOrigins: ["https://api.example.com"], refreshMarginSeconds: 30 };
const auth = new TokenManager(options);
const off: () => void = auth.on("refreshed", (d) => { const at: number | null = d.expiresAt; void at; });
auth.on("refreshFailed", (d) => { const status: number | null = d.status; const code: string = d.code; void status; void code; });
auth.on("stateChanged", (d) => { const authed: boolean = d.isAuthenticated; void authed; });
// @ts-expect-error unknown event name
auth.on("refreshd", () => {});
// @ts-expect-error the refreshed detail has no `status`
auth.on("refreshed", (d) => d.status);
// @ts-expect-error refreshUrl is required
const bad: TokenManagerOptions = { loginUrl: "/x" };
// @ts-expect-error refreshMarginSeconds is a number
const bad2: TokenManagerOptions = { refreshUrl: "/r", refreshMarginSeconds: "60" };
void bad; void bad2;
const res: Response = await auth.fetch("/api/me", { method: "GET" });
const ok: boolean = await auth.restore();
const expiresAt: number | undefined = auth.expiresAt;
const header = decodeJwt("a.b.c").header.alg;
try { await auth.refresh(); } catch (e) { const err = e as TokenManagerError; const c: "aborted" | string = err.code; void c; }
off();
void res; void ok; void expiresAt; void header;
