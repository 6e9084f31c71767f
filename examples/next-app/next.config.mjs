import { PHASE_DEVELOPMENT_SERVER } from "next/constants.js";

// The auth server: `npm run dev` starts the repository's mock server there.
const backend = `http://${process.env.MOCK_ADDR ?? "127.0.0.1:8790"}`;

// `next build`: a static export (out/), rendered on the server (Node) at build time, so the
// build itself proves the package is safe to import during server rendering. `npm run
// build:webpack` builds it with webpack instead of Turbopack, into out-webpack/.
// `next dev` (`npm run dev`): the sign-in endpoints and the API are forwarded to the auth server.
// Next's proxy sends the auth server's own Host, so that server must list the page's origin as
// allowed for its Origin check (package.json's dev script tells the mock server).
export default (phase) => ({
  ...(phase === PHASE_DEVELOPMENT_SERVER
    ? { rewrites: async () => ["/auth/:path*", "/api/:path*"].map((source) => ({ source, destination: `${backend}${source}` })) }
    : { output: "export" }),
  ...(process.env.NEXT_EXPORT_DIR && { distDir: process.env.NEXT_EXPORT_DIR }),
  // Only because this example depends on the package through `file:../../pkg` (a symlink out
  // of the app's directory): Turbopack compiles no file outside its root, which defaults to the
  // app's directory. An app that installs the package from a registry needs no `turbopack` key.
  turbopack: { root: new URL("../..", import.meta.url).pathname },
  // The package's browser entry awaits its wasm at the top level: tell webpack the target
  // browsers have async functions (Next's defaults do; webpack only warns without this).
  webpack: (config) => {
    config.output.environment = { ...config.output.environment, asyncFunction: true };
    return config;
  },
});
