//! What the machine's unit tests share: a base configuration and readers of the outputs.

use super::*;

/// One tab, no shared record, no session warning; a token-returning login and a logout URL.
pub(super) fn config() -> Config {
    Config {
        refresh_margin_ms: 60_000.0,
        auto_refresh: true,
        cross_tab: false,
        has_login_url: true,
        login_returns_token: true,
        has_logout_url: true,
        allowed_origins: vec!["https://app.example".into()],
        dpop: false,
        session_warning_ms: 0.0,
        idle: None,
        step_up: false,
    }
}

/// Everything the machine has to say, in order.
pub(super) fn drain(m: &mut Machine) -> Vec<Output> {
    std::iter::from_fn(|| m.poll_output()).collect()
}

/// The first POST among `outputs`.
pub(super) fn posted(outputs: &[Output]) -> Option<(HttpId, Endpoint)> {
    outputs.iter().find_map(|o| match o {
        Output::Post { id, endpoint } => Some((*id, *endpoint)),
        _ => None,
    })
}

/// The first lock request among `outputs`.
pub(super) fn lock_of(outputs: &[Output]) -> Option<LockId> {
    outputs.iter().find_map(|o| if let Output::RequestLock(id) = o { Some(*id) } else { None })
}

/// How `call` was settled, if it was.
pub(super) fn settled(outputs: &[Output], call: CallId) -> Option<&Result<CallValue, (Error, Option<u16>)>> {
    outputs.iter().find_map(|o| match o {
        Output::Settle { call: c, result } if *c == call => Some(result),
        _ => None,
    })
}

/// The events among `outputs`, `StateChanged` included.
pub(super) fn all_events(outputs: &[Output]) -> Vec<&Event> {
    outputs.iter().filter_map(|o| if let Output::Event(e) = o { Some(e) } else { None }).collect()
}
