//! A Yew page that signs in with a form, shows who is signed in and when the token expires,
//! calls the API through the manager, and signs out. The manager renews the token silently;
//! the page only follows its snapshot.

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;
use wasm_token_manager::adapters::yew::{use_auth_snapshot, use_token_manager, TokenManagerProvider};
use wasm_token_manager::{ErrorCode, Event, Options, Scope, State, TokenManager};
use yew::prelude::*;

#[wasm_bindgen(start)]
pub fn main() {
    let root = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id("app"));
    if let Some(root) = root {
        yew::Renderer::<App>::with_root(root).render();
    }
}

#[function_component]
fn App() -> Html {
    let auth = use_memo((), |_| {
        TokenManager::new(
            Options::new("/auth/refresh")
                .login_url("/auth/login")
                .logout_url("/auth/logout")
                .restore_on_create(true), // sign in again from the refresh cookie; Restoring meanwhile
        )
    });
    match &*auth {
        Ok(auth) => html! { <TokenManagerProvider manager={auth.clone()}><Session /></TokenManagerProvider> },
        Err(e) => html! { <p role="alert">{ e.to_string() }</p> },
    }
}

/// Subscribe to the manager's events for the component's life.
#[hook]
fn use_events(on: impl Fn(&Event) + 'static) {
    let auth = use_token_manager();
    use_effect_with(auth, move |auth| {
        let subscription = auth.on_event(on);
        move || drop(subscription)
    });
}

#[function_component]
fn Session() -> Html {
    let snapshot = use_auth_snapshot();
    let ended = use_mut_ref(|| false);
    {
        let ended = ended.clone();
        use_events(move |e| {
            if let Event::SessionExpired { .. } = e {
                *ended.borrow_mut() = true;
            }
        });
    }
    match snapshot.state {
        State::Restoring => html! { <p id="loading">{ "Loading…" }</p> },
        State::Authenticated => html! { <SignedIn /> },
        _ => html! { <SignIn ended={ended.clone()} /> },
    }
}

#[derive(Properties, PartialEq)]
struct SignInProps {
    /// The session ended on the server (not a sign-out): say so, until the next sign-in.
    ended: std::rc::Rc<std::cell::RefCell<bool>>,
}

#[function_component]
fn SignIn(props: &SignInProps) -> Html {
    let auth = use_token_manager();
    let error = use_state(|| {
        if *props.ended.borrow() { "Your session has ended. Please sign in again.".to_string() } else { String::new() }
    });
    let ended = props.ended.clone();
    let onsubmit = {
        let error = error.clone();
        Callback::from(move |ev: SubmitEvent| {
            ev.prevent_default();
            let login = auth.login(form_fields(&ev));
            let (error, ended) = (error.clone(), ended.clone());
            spawn_local(async move {
                error.set(match login.await {
                    Ok(()) => {
                        *ended.borrow_mut() = false;
                        String::new()
                    }
                    Err(e) if e.code() == Some(ErrorCode::LoginFailed) && e.status() == Some(401) => {
                        "Wrong user name or password.".into()
                    }
                    Err(_) => "Sign-in failed. Please try again.".into(),
                });
            });
        })
    };
    html! {
        <form id="login" {onsubmit}>
            <p><label>{ "User name " }<input name="username" autocomplete="username" required=true /></label></p>
            <p><label>{ "Password " }<input name="password" type="password" autocomplete="current-password" required=true /></label></p>
            <p><button>{ "Sign in" }</button>{ " " }<span id="login-error" role="alert">{ (*error).clone() }</span></p>
        </form>
    }
}

/// The form's user name and password.
fn form_fields(ev: &SubmitEvent) -> Vec<(String, String)> {
    use wasm_bindgen::JsCast;
    let form: Option<web_sys::HtmlFormElement> = ev.target().and_then(|t| t.dyn_into().ok());
    let data = form.and_then(|f| web_sys::FormData::new_with_form(&f).ok());
    ["username", "password"]
        .into_iter()
        .map(|k| (k.to_string(), data.as_ref().and_then(|d| d.get(k).as_string()).unwrap_or_default()))
        .collect()
}

#[function_component]
fn SignedIn() -> Html {
    let auth = use_token_manager();
    let snapshot = use_auth_snapshot();
    let renewals = use_state(|| 0u32);
    {
        let renewals = renewals.clone();
        let count = std::rc::Rc::new(std::cell::Cell::new(0u32));
        use_events(move |e| {
            if let Event::Refreshed { .. } = e {
                count.set(count.get() + 1);
                renewals.set(count.get());
            }
        });
    }
    let api = use_state(String::new);
    let call_api = {
        let (auth, api) = (auth.clone(), api.clone());
        Callback::from(move |_| {
            api.set("Calling…".into());
            let sent = call_me(&auth);
            let api = api.clone();
            spawn_local(async move { api.set(sent.await) });
        })
    };
    let sign_out = Callback::from(move |_| {
        let done = auth.logout(Scope::Local); // every tab signs out; never fails
        spawn_local(async move {
            let _ = done.await;
        });
    });
    html! {
        <section>
            <p id="user">{ format!("Signed in as {}", snapshot.claim_str("sub").unwrap_or_default()) }</p>
            <p id="token">{ token_line(snapshot.expires_at, *renewals) }</p>
            <p><button id="call-api" onclick={call_api}>{ "Call /api/me" }</button>{ " " }<output id="api">{ (*api).clone() }</output></p>
            <p><button id="sign-out" onclick={sign_out}>{ "Sign out" }</button></p>
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
