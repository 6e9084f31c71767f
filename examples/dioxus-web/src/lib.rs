//! A Dioxus page that signs in with a form, shows who is signed in and when the token expires,
//! calls the API through the manager, and signs out. The manager renews the token silently;
//! the page only follows its snapshot signal.

use dioxus::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_token_manager::adapters::dioxus::{use_auth_snapshot, use_token_manager, use_token_manager_provider};
use wasm_token_manager::{ErrorCode, Event, Options, Scope, State, TokenManager};

#[wasm_bindgen(start)]
pub fn main() {
    dioxus::LaunchBuilder::web().with_cfg(dioxus::web::Config::new().rootname("app")).launch(App);
}

#[allow(non_snake_case)]
fn App() -> Element {
    let made = use_hook(|| {
        TokenManager::new(
            Options::new("/auth/refresh")
                .login_url("/auth/login")
                .logout_url("/auth/logout")
                .restore_on_create(true), // sign in again from the refresh cookie; Restoring meanwhile
        )
    });
    match made {
        Ok(auth) => rsx! { Provider { auth } },
        Err(e) => rsx! { p { role: "alert", "{e}" } },
    }
}

#[component]
fn Provider(auth: TokenManager) -> Element {
    use_token_manager_provider(move || auth);
    rsx! { Session {} }
}

/// Subscribe to the manager's events for the component's life.
fn use_events(on: impl Fn(&Event) + 'static) {
    let auth = use_token_manager();
    let subscription = use_hook(|| std::rc::Rc::new(auth.on_event(on)));
    use_drop(move || drop(subscription));
}

#[allow(non_snake_case)]
fn Session() -> Element {
    let snapshot = use_auth_snapshot();
    let state = use_memo(move || snapshot.read().state);
    let ended = use_signal(|| false);
    use_events(move |e| {
        if let Event::SessionExpired { .. } = e {
            let mut ended = ended;
            ended.set(true);
        }
    });
    match state() {
        State::Restoring => rsx! { p { id: "loading", "Loading…" } },
        State::Authenticated => rsx! { SignedIn {} },
        _ => rsx! { SignIn { ended } },
    }
}

#[component]
fn SignIn(ended: Signal<bool>) -> Element {
    let auth = use_token_manager();
    let mut error = use_signal(move || {
        if *ended.peek() { "Your session has ended. Please sign in again.".to_string() } else { String::new() }
    });
    let onsubmit = move |ev: FormEvent| {
        ev.prevent_default();
        let field = |k: &str| match ev.get_first(k) {
            Some(FormValue::Text(text)) => text,
            _ => String::new(),
        };
        let login = auth.login(vec![("username".to_string(), field("username")), ("password".to_string(), field("password"))]);
        spawn(async move {
            error.set(match login.await {
                Ok(()) => {
                    let mut ended = ended;
                    ended.set(false);
                    String::new()
                }
                Err(e) if e.code() == Some(ErrorCode::LoginFailed) && e.status() == Some(401) => {
                    "Wrong user name or password.".into()
                }
                Err(_) => "Sign-in failed. Please try again.".into(),
            });
        });
    };
    rsx! {
        form { id: "login", onsubmit,
            p { label { "User name " input { name: "username", autocomplete: "username", required: true } } }
            p { label { "Password " input { name: "password", r#type: "password", autocomplete: "current-password", required: true } } }
            p { button { "Sign in" } " " span { id: "login-error", role: "alert", "{error}" } }
        }
    }
}

#[allow(non_snake_case)]
fn SignedIn() -> Element {
    let auth = use_token_manager();
    let snapshot = use_auth_snapshot();
    let renewals = use_signal(|| 0u32);
    use_events(move |e| {
        if let Event::Refreshed { .. } = e {
            let mut renewals = renewals;
            renewals += 1;
        }
    });
    let mut api = use_signal(String::new);
    let for_api = auth.clone();
    let who = snapshot.read().claim_str("sub").unwrap_or_default();
    let line = token_line(snapshot.read().expires_at, renewals());
    rsx! {
        section {
            p { id: "user", "Signed in as {who}" }
            p { id: "token", "{line}" }
            p {
                button { id: "call-api", onclick: move |_| { api.set("Calling…".into()); let sent = call_me(&for_api); spawn(async move { api.set(sent.await) }); }, "Call /api/me" }
                " "
                output { id: "api", "{api}" }
            }
            p {
                button { id: "sign-out", onclick: move |_| { let done = auth.logout(Scope::Local); spawn(async move { let _ = done.await; }); }, "Sign out" }
            }
        }
    }
}

fn token_line(expires_at: Option<f64>, renewals: u32) -> String {
    let until = expires_at.map(|t| js_sys::Date::new(&t.into()).to_locale_time_string("en-GB")).map(String::from);
    let times = if renewals == 1 { "time" } else { "times" };
    format!("Token valid until {}, renewed silently {renewals} {times}", until.unwrap_or_default())
}

/// `GET /api/me` through the manager (the token, a refresh first when it is dead, one retry
/// after a 401): "200: hello, demo", the status, or why it failed.
fn call_me(auth: &TokenManager) -> impl std::future::Future<Output = String> {
    let sent = auth.fetch_with("/api/me", &web_sys::RequestInit::new());
    async move {
        let res = match sent.await {
            Ok(res) => res,
            Err(e) => return format!("failed: {e}"),
        };
        if !res.ok() {
            return res.status().to_string();
        }
        let json = match res.json() {
            Ok(p) => wasm_bindgen_futures::JsFuture::from(p).await.ok(),
            Err(_) => None,
        };
        let sub = json.and_then(|j| js_sys::Reflect::get(&j, &"sub".into()).ok()).and_then(|s| s.as_string());
        format!("{}: hello, {}", res.status(), sub.unwrap_or_default())
    }
}
