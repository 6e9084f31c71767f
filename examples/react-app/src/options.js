// The same-origin mock server's endpoints (it serves this app's build too).
export const OPTIONS = { refreshUrl: "/auth/refresh", loginUrl: "/auth/login", logoutUrl: "/auth/logout" };
