// A static export: `next build` renders every page on the server (Node) at build time, so the
// build itself proves the package is safe to import during server rendering.
export default {
  output: "export",
  // The package's browser entry awaits its wasm at the top level: tell webpack the target
  // browsers have async functions (Next's defaults do; webpack only warns without this).
  webpack: (config) => {
    config.output.environment = { ...config.output.environment, asyncFunction: true };
    return config;
  },
};
