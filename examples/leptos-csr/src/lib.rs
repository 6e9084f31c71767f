//! A Leptos page that signs in with a form, shows who is signed in and when the token expires,
//! calls the API through the manager, and signs out. The manager renews the token silently;
//! the page only follows its snapshot.

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::prelude::*;
use wasm_token_manager::adapters::leptos::{provide_token_manager, use_auth_snapshot, use_token_manager};
use wasm_token_manager::{ErrorCode, Event, Options, Scope, State, TokenManager};

#[wasm_bindgen(start)]
pub fn main() {
    leptos::mount::mount_to(app_root(), App).forget();
}

fn app_root() -> web_sys::HtmlElement {
    use wasm_bindgen::JsCast;
    let document = web_sys::window().and_then(|w| w.document()).expect("a page");
    document.get_element_by_id("app").expect("<main id=app>").unchecked_into()
}

#[component]
fn App() -> impl IntoView {
    let options = Options::new("/auth/refresh")
        .login_url("/auth/login")
        .logout_url("/auth/logout")
        .restore_on_create(true); // sign in again from the refresh cookie; the state is Restoring meanwhile
    match provide_token_manager(options) {
        Ok(_) => view! { <Session/> }.into_any(),
        Err(e) => view! { <p role="alert">{e.to_string()}</p> }.into_any(),
    }
}

#[component]
fn Session() -> impl IntoView {
    let snapshot = use_auth_snapshot();
    // Only the state picks the view: a renewed token does not rebuild it.
    let state = Memo::new(move |_| snapshot.get().state);
    let ended = RwSignal::new(false);
    let auth = use_token_manager();
    let events = auth.on_event(move |e| {
        if let Event::SessionExpired { .. } = e {
            ended.set(true);
        }
    });
    let events = send_wrapper::SendWrapper::new(events);
    on_cleanup(move || drop(events));
    move || match state.get() {
        State::Restoring => view! { <p id="loading">"Loading…"</p> }.into_any(),
        State::Authenticated => view! { <SignedIn/> }.into_any(),
        _ => view! { <SignIn ended/> }.into_any(),
    }
}

#[component]
fn SignIn(ended: RwSignal<bool>) -> impl IntoView {
    let auth = use_token_manager();
    let error = RwSignal::new(String::new());
    if ended.get_untracked() {
        error.set("Your session has ended. Please sign in again.".into());
    }
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let fields = form_fields(&ev);
        let login = auth.login(fields);
        spawn_local(async move {
            error.set(match login.await {
                Ok(()) => {
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
    view! {
        <form id="login" on:submit=on_submit>
            <p><label>"User name " <input name="username" autocomplete="username" required/></label></p>
            <p><label>"Password " <input name="password" type="password" autocomplete="current-password" required/></label></p>
            <p><button>"Sign in"</button>" "<span id="login-error" role="alert">{move || error.get()}</span></p>
        </form>
    }
}

/// The form's user name and password.
fn form_fields(ev: &leptos::ev::SubmitEvent) -> Vec<(String, String)> {
    use wasm_bindgen::JsCast;
    let form: Option<web_sys::HtmlFormElement> = ev.target().and_then(|t| t.dyn_into().ok());
    let data = form.and_then(|f| web_sys::FormData::new_with_form(&f).ok());
    ["username", "password"]
        .into_iter()
        .map(|k| (k.to_string(), data.as_ref().and_then(|d| d.get(k).as_string()).unwrap_or_default()))
        .collect()
}

#[component]
fn SignedIn() -> impl IntoView {
    let auth = use_token_manager();
    let snapshot = use_auth_snapshot();
    let renewals = RwSignal::new(0u32);
    let events = auth.on_event(move |e| {
        if let Event::Refreshed { .. } = e {
            renewals.update(|n| *n += 1);
        }
    });
    let events = send_wrapper::SendWrapper::new(events);
    on_cleanup(move || drop(events));
    let api = RwSignal::new(String::new());
    let call_api = {
        let auth = auth.clone();
        move |_| {
            api.set("Calling…".into());
            let sent = call_me(&auth);
            spawn_local(async move { api.set(sent.await) });
        }
    };
    let sign_out = move |_| {
        let done = auth.logout(Scope::Local); // every tab signs out; never fails
        spawn_local(async move {
            let _ = done.await;
        });
    };
    view! {
        <section>
            <p id="user">"Signed in as " {move || snapshot.get().claim_str("sub").unwrap_or_default()}</p>
            <p id="token">{move || token_line(snapshot.get().expires_at, renewals.get())}</p>
            <p><button id="call-api" on:click=call_api>"Call /api/me"</button>" "<output id="api">{move || api.get()}</output></p>
            <p><button id="sign-out" on:click=sign_out>"Sign out"</button></p>
        </section>
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
