// One manager for the page, made when the module is first imported (React never makes or
// disposes it, so StrictMode's double mount in development changes nothing).
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { TokenManager } from "wasm-token-manager"; // loads its .wasm on import
import Session from "./Session.jsx";

const auth = new TokenManager({
  refreshUrl: "/auth/refresh",
  loginUrl: "/auth/login",
  logoutUrl: "/auth/logout",
  // Sign in again from the refresh cookie at once: the snapshot says "restoring" until the
  // server has answered, so the page shows "Loading…" instead of a sign-in form.
  restoreOnCreate: true,
});

createRoot(document.getElementById("root")).render(<StrictMode><Session auth={auth} /></StrictMode>);
