// The README's way: one manager for the page, made when the module is first imported. React
// never creates or disposes it, so StrictMode's second mount changes nothing: the restore in
// the effect below runs twice and the second call joins the first.
import { StrictMode, useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import { TokenManager } from "wasm-token-manager";
import { OPTIONS } from "./options.js";
import Session from "./Session.jsx";

const auth = new TokenManager(OPTIONS);

function App() {
  const [restored, setRestored] = useState(null);
  useEffect(() => {
    auth.restore().then(setRestored, (e) => setRestored(e.code ?? String(e)));
  }, []);
  return <Session auth={auth} restored={restored} />;
}

createRoot(document.getElementById("root")).render(<StrictMode><App /></StrictMode>);
