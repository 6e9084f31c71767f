// What people write anyway: the manager belongs to a component, made in useEffect and disposed
// in its cleanup. In StrictMode (development builds only) React mounts, unmounts and mounts
// again, so one manager is made, disposed and a second one made; its own restore() rejects
// with `aborted`, which is expected and ignored. A production build mounts once.
import { StrictMode, useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import { TokenManager } from "wasm-token-manager";
import { OPTIONS } from "./options.js";
import Session from "./Session.jsx";

function App() {
  const [auth, setAuth] = useState(null);
  const [restored, setRestored] = useState(null);
  useEffect(() => {
    const manager = new TokenManager(OPTIONS);
    let live = true;
    window.managersMade = (window.managersMade ?? 0) + 1; // read by tests/e2e/react.mjs
    setAuth(manager);
    manager.restore().then(
      (ok) => live && setRestored(ok),
      (e) => live && setRestored(e.code ?? String(e)));
    return () => {
      live = false;
      manager.dispose();
    };
  }, []);
  return auth ? <Session auth={auth} restored={restored} /> : <p>loading…</p>;
}

createRoot(document.getElementById("root")).render(<StrictMode><App /></StrictMode>);
