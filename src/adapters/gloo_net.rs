//! Sending a `gloo_net::http::Request` through the manager (feature `gloo-net`).

use std::future::Future;

use crate::{Error, TokenManager};

/// Send a gloo-net request through the manager: the token, a refresh first when it is dead,
/// and one retry after a 401. gloo-net's `send` consumes its request, so the manager takes the
/// underlying `web_sys::Request` and keeps its own copy for the replay before sending.
///
/// ```no_run
/// use wasm_token_manager::adapters::gloo_net::SendWithToken;
/// # async fn f(auth: wasm_token_manager::TokenManager) -> Result<(), wasm_token_manager::Error> {
/// let req = gloo_net::http::Request::post("/api/items").body("{}").unwrap();
/// let res = req.send_with(&auth).await?;
/// assert_eq!(res.status(), 201);
/// # Ok(()) }
/// ```
pub trait SendWithToken {
    /// Send through `auth`.
    fn send_with(self, auth: &TokenManager) -> impl Future<Output = Result<gloo_net::http::Response, Error>> + 'static;
}

impl SendWithToken for gloo_net::http::Request {
    fn send_with(self, auth: &TokenManager) -> impl Future<Output = Result<gloo_net::http::Response, Error>> + 'static {
        let sent = auth.fetch(self.into());
        async move { sent.await.map(gloo_net::http::Response::from) }
    }
}
