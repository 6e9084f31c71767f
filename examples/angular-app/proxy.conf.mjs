// `ng serve` (`npm run dev`) forwards the sign-in endpoints and the API to the auth server,
// keeping the Host header (the server checks the Origin of sign-in requests against it): one
// origin. `npm run dev` starts the repository's mock server there.
const target = `http://${process.env.MOCK_ADDR ?? "127.0.0.1:8790"}`;
export default { "/auth": { target }, "/api": { target } };
