// A test page of tests/e2e/react.mjs, built by it next to examples/react-app's build (at
// /effect/): the example's UI with what people write anyway, a manager that belongs to a
// component, made in useEffect and disposed in its cleanup. In StrictMode (development builds)
// React mounts, unmounts and mounts again, so one manager is made, disposed and a second one
// made; the first one's ready rejects with `aborted` (the UI ignores that).
import { StrictMode, useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import { TokenManager } from "wasm-token-manager";
import Session from "../../../../examples/react-app/src/Session.jsx";

function App() {
  const [auth, setAuth] = useState(null);
  useEffect(() => {
    const manager = new TokenManager({ refreshUrl: "/auth/refresh", loginUrl: "/auth/login", logoutUrl: "/auth/logout", restoreOnCreate: true });
    window.managersMade = (window.managersMade ?? 0) + 1; // StrictMode's double mount, checked by the test
    setAuth(manager);
    return () => manager.dispose();
  }, []);
  return auth ? <Session auth={auth} /> : <p id="loading">Loading…</p>;
}

createRoot(document.getElementById("root")).render(<StrictMode><App /></StrictMode>);
