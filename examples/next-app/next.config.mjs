// A static export: `next build` renders every page on the server (Node) at build time, so the
// build itself proves the package is safe to import during server rendering. Built twice by
// `make test`: `npm run build` (Turbopack, Next 16's default) into out/, `npm run build:webpack`
// into out-webpack/ (a custom distDir names the export's directory).
export default {
  output: "export",
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
};
