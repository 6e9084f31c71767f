import Auth from "./auth";

export default function Page() {
  return (
    <>
      <h1>wasm-token-manager in a Next.js App Router app</h1>
      <Auth />
    </>
  );
}
