//! The simulated browser: tabs (each a `Machine` with a model executor), one cookie jar, a
//! model Web Lock (exclusive, FIFO), a model BroadcastChannel (delayed, in order per sender),
//! the network (every request and every answer is a leg the schedule delivers in any order),
//! a virtual clock with sleep and jumps, and the model server. Invariants are checked as it
//! goes (`violations`) and at quiescence (`super::invariants`).
//!
//! With a [`Profile`] the tabs use the session features (idle timeout, the session's end) and
//! the server gives families a lifetime; `remote` adds a second device: one more tab with its
//! own cookie jar (device 1), sharing no lock, channel or record with the first (device 0).

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use wasm_token_manager::core::clock::Instant;
use wasm_token_manager::core::machine::*;
use wasm_token_manager::core::policy::Backoff;
use wasm_token_manager::core::run::RefreshKind;
use wasm_token_manager::core::session::{EndReason, Epoch, SessionState};

use super::server::{user_of, Answer, Lifetime, Server, SetCookie};

pub const ORIGIN: &str = "https://app.example";

/// A fault the schedule injects into the next POST that reaches the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Status503,
    /// 429 with `Retry-After: 2`.
    TooMany,
    /// The server commits (rotates) but the answer never arrives.
    CommitThenDrop,
    /// The answer takes 20 s (past the 15 s request timeout).
    Slow,
}

impl Fault {
    /// A transient answer (503, 429) that a run's retries absorb.
    fn is_transient(self) -> bool {
        matches!(self, Self::Status503 | Self::TooMany)
    }
}

/// What a user does in a tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Fetch,
    KeepaliveFetch,
    Login(u8),
    Logout(Scope),
    Refresh,
    Restore,
    /// `setAccessToken` with a token the app got elsewhere (a live one of the jar's session).
    SetToken,
    /// React StrictMode: dispose, and at once a new manager that restores.
    Remount,
    /// The user is active: `Machine::activity` (`false`) or `Wake::Activity` (`true`).
    Activity(bool),
    /// `getAccessToken()`: when it settles, the token held (if any) is not expired.
    GetToken,
    /// `login({signal})`'s signal aborts the tab's newest login still pending.
    AbortLogin,
}

/// The session features a schedule turns on (all off: the classic world).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Profile {
    /// A second device: one tab with its own cookie jar, the same users.
    pub remote: bool,
    /// `Config.idle`: (timeout, warning) ms.
    pub idle: Option<(f64, f64)>,
    pub session_warning_ms: f64,
    /// The server's family lifetime.
    pub lifetime: Option<Lifetime>,
    /// `loginReturnsToken: false` (better-auth, session-cookie backends): a login's answer only
    /// establishes the session, and its token is asked of the refresh endpoint under the same
    /// lock (the model server's login answer carries a token, which the tabs must not take).
    pub session_login: bool,
}

/// One step of a schedule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Step {
    Act {
        tab: usize,
        action: Action,
    },
    /// Deliver the n-th pending network leg (modulo how many there are).
    Network(usize),
    /// Deliver the head of the n-th non-empty channel queue.
    Channel(usize),
    Advance(u32),
    /// The machine sleeps: nothing fires; then every tab wakes. `mono_stops`: the monotonic
    /// clock stood still meanwhile (some platforms).
    Sleep {
        ms: u32,
        mono_stops: bool,
    },
    /// The device clock jumps by ±1 h.
    ClockJump(bool),
    Fault(Fault),
    NetworkDown(bool),
    OpenTab,
    CloseTab(usize),
}

#[derive(Debug, Clone)]
enum LegKind {
    Post { id: HttpId, endpoint: Endpoint, user: u8 },
    Api { req: ReqId, token: Option<String> },
}

/// A delivery the latency bound forces.
#[derive(Debug, Clone, Copy)]
enum Forced {
    Leg(usize),
    Message((u64, u64)),
}

#[derive(Debug, Clone)]
enum Answered {
    Post(Option<Answer>),
    Api(u16),
}

#[derive(Debug)]
struct Leg {
    tab: u64,
    /// The device (cookie jar) it goes out from.
    device: usize,
    kind: LegKind,
    /// `None`: on its way to the server; `Some`: the answer on its way back.
    answer: Option<Answered>,
    cancelled: bool,
    /// Held back by a slow server: not deliverable before this time.
    not_before: f64,
    /// Its answer is a fault's (503, 429, dropped, slow).
    faulted: Option<Fault>,
    /// When it set out on its current hop (real ms): sent, or answered by the server.
    since: f64,
}

/// A disposed manager letting its POST finish.
struct Ghost {
    uid: u64,
    /// The uid of the manager now in its page (closing that page cuts the POST off).
    page: u64,
    machine: Machine,
}

/// What a tab's caller is waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CallKind {
    Login,
    /// `local` or `global`: ends the session here at once.
    Logout,
    /// `others`.
    LogoutOthers,
    Refresh,
    Token,
}

#[derive(Debug)]
struct FetchRecord {
    /// The fault count when it started, and the user the tab was signed in as.
    faults_at_start: u64,
    soft_faults_at_start: u64,
    user_at_start: Option<u8>,
}

pub struct Tab {
    pub uid: u64,
    /// 0: the main device (up to 6 tabs); 1: the remote device.
    pub device: usize,
    pub machine: Machine,
    calls: BTreeMap<CallId, CallKind>,
    fetches: BTreeMap<ReqId, FetchRecord>,
    /// `sessionExpired` events seen.
    pub expired_events: u32,
    /// After its last outputs: authenticated, and in which epoch (a change is a session start,
    /// which counts as activity).
    auth_key: (bool, Epoch),
    /// After its last outputs: the server family of the token it held.
    family: Option<usize>,
}

impl Tab {
    fn new(uid: u64, device: usize, machine: Machine) -> Self {
        Self {
            uid,
            device,
            machine,
            calls: BTreeMap::new(),
            fetches: BTreeMap::new(),
            expired_events: 0,
            auth_key: (false, Epoch(0)),
            family: None,
        }
    }
}

/// The token a tab holds, as it sees it (for [`World::shared_token_kept_fresh`]).
#[derive(Debug, Clone)]
struct Held {
    token: Option<String>,
    generation: wasm_token_manager::core::session::TokenGeneration,
    epoch: Epoch,
    remaining_ms: Option<f64>,
}

impl Held {
    fn of(m: &Machine, now: Instant) -> Self {
        Self {
            token: m.access_token().map(str::to_owned),
            generation: m.generation(),
            epoch: m.epoch(),
            remaining_ms: m.expires_at(now).map(|at| at - now.wall_ms),
        }
    }
}

/// A user action in call order, for the "last action wins" and logout invariants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionAction {
    /// `racing_logout`: a logout called earlier in another tab had not settled yet (see
    /// `regressions::login_racing_an_earlier_logout`, a known open bug).
    Login {
        user: u8,
        ok: Option<bool>,
        racing_logout: bool,
    },
    Logout,
    Other,
}

pub struct World {
    pub tabs: Vec<Tab>,
    next_uid: u64,
    pub server: Server,
    /// The cookie jar of each device.
    jars: [Option<String>; 2],
    pub profile: Profile,
    /// Per device: the last activity (real ms): `activity`, a wake, a session start in a tab.
    pub activity: [f64; 2],
    /// Per device: `logout()` (local or global) calls, the causes of a `loggedOut`.
    logout_calls: [u32; 2],
    /// Uids of the remote device's tabs.
    pub remote_uids: BTreeSet<u64>,
    /// When a tab last gave up waiting for the lock (monotonic ms, the clock runs are timed by,
    /// as `last_fault_mono`): a login or logout then goes
    /// ahead unlocked, and may race a refresh whose stale answer ends the newer session.
    lock_given_up: f64,
    /// An end was excused by a lock wait given up: news of it (`other_tab`, or the shared
    /// record read later) is excused too, however late it arrives.
    degraded_end: bool,
    legs: Vec<Leg>,
    /// Disposed managers (a remount) whose POST on the wire is let finish. Its Set-Cookie
    /// lands in the jar; the lock it kept goes when it ends; closing its page cuts it off.
    ghosts: Vec<Ghost>,
    lock_holder: Option<(u64, LockId)>,
    /// The shared record (`localStorage`): newest session epoch and whether it ended.
    shared: Option<SharedEpoch>,
    lock_queue: VecDeque<(u64, LockId)>,
    /// The holder each waiting request saw at its last look (`Output::LockStuck`).
    lock_seen: BTreeMap<(u64, LockId), Option<(u64, LockId)>>,
    /// Per (sender, receiver): the messages on their way, each with when it was posted (real ms).
    channel: BTreeMap<(u64, u64), VecDeque<(f64, Message)>>,
    /// `Some((network_ms, channel_ms))`: every leg and message is delivered at the latest this
    /// long after it set out (the schedule may deliver it earlier, in any order): a network and
    /// a BroadcastChannel without faults. `None`: the schedule alone decides (any delay).
    pub latency_bound: Option<(f64, f64)>,
    mono: f64,
    wall: f64,
    /// Real time (the server's clock): never jumps, runs through sleep.
    real: f64,
    network_down: bool,
    next_fault: Option<Fault>,
    /// Faults injected so far, and whether one made a refresh-token reuse unavoidable (an
    /// answer committed by the server that the browser never saw).
    pub faults: u64,
    /// 503 and 429 answers a tab received: transient, absorbed by a run's retries (up to
    /// `Backoff::max_attempts` attempts), so not faults for the invariants unless a request
    /// lived through that many.
    pub soft_faults: u64,
    /// When `faults` last grew (monotonic ms, the clock runs are timed by; noted after every
    /// step and every tab's outputs).
    last_fault_mono: f64,
    faults_seen: u64,
    pub unavoidable_reuse: bool,
    /// The tab whose caller's abort is being carried out: the POSTs and lock waits it gives up
    /// are the caller's doing, not a slow network (no fault), and excuse nothing.
    caller_abort: Option<u64>,
    pub actions: Vec<(u64, SessionAction)>,
    call_actions: BTreeMap<(u64, CallId), usize>,
    pub violations: Vec<String>,
    /// A login and a logout were under way in two tabs at once (a known open race).
    pub raced: bool,
    /// The device clock was set back (epochs come from the wall clock: a known open bug).
    pub clock_went_back: bool,
    /// A forward jump with session lifetimes on: tabs may end sessions the server still holds.
    pub clock_ended_sessions: bool,
    /// `setAccessToken` was called: by design, tabs that saw the session end ignore a token
    /// the app sets afterwards, so agreement is not expected.
    pub set_token_used: bool,
    pub step_no: usize,
    /// The status of the last answer of each wrapped request.
    last_status: BTreeMap<(u64, ReqId), (u16, Option<String>)>,
    /// Tokens the app handed in with `setAccessToken` that were dead at the server already: a
    /// 401 for a request that carried one is the app's doing (see `fetch_finished`).
    dead_app_tokens: std::collections::BTreeSet<String>,
    /// Wrapped requests that were on the wire while the machine slept: they reach the server
    /// arbitrarily late, after the token they carry (valid when sent) may have died. No client
    /// can prevent that 401, so the 401 check leaves them out.
    slept_on_wire: std::collections::BTreeSet<(u64, ReqId)>,
    /// Wrapped requests whose last send carried a token live at the server when it left, and
    /// reached the server after that token died (it waited on the wire longer than the life
    /// it had): a 401 no client can prevent either (see
    /// `regressions::a_replay_that_waits_on_the_wire_past_its_tokens_expiry`).
    died_on_wire: std::collections::BTreeSet<(u64, ReqId)>,
    /// Refresh POSTs that reached the server.
    pub refresh_posts: u32,
    /// Per access token the server issued and a tab read: how long (real ms) its answer took
    /// from the server to the tab. A tab counts a token's life from receipt, so it may believe
    /// the token outlives the server's expiry by this much, and no more.
    pub token_lag: std::collections::HashMap<String, f64>,
    /// The direct checks of shared tokens' freshness ([`World::shared_token_kept_fresh`],
    /// `invariants::no_token_outlives_its_expiry`) are on; `SIM_FRESHNESS=0` turns them off, to
    /// measure what the other invariants catch alone.
    pub freshness_checks: bool,
}

/// The longest a refresh run lasts: 4 attempts of up to 15 s, the backoffs between them
/// (under 4 s) and a 20 s wait for the lock, rounded up.
const RUN_SPAN_MS: f64 = 120_000.0;

/// The tabs' refresh margin (ms).
pub const REFRESH_MARGIN_MS: f64 = 5_000.0;

/// A timer fires at its deadline rounded up to a whole ms (`Machine::poll_timeout`).
pub const TIMER_SLACK_MS: f64 = 1.0;

fn config(profile: &Profile, device: usize) -> Config {
    Config {
        refresh_margin_ms: REFRESH_MARGIN_MS,
        auto_refresh: true,
        // The remote device has one tab: no lock, channel or shared record to speak of.
        cross_tab: device == 0,
        has_login_url: true,
        login_returns_token: !profile.session_login,
        has_logout_url: true,
        allowed_origins: vec![ORIGIN.into()],
        dpop: false,
        session_warning_ms: profile.session_warning_ms,
        idle: profile.idle,
        step_up: false,
    }
}

impl World {
    pub fn new(tabs: usize) -> Self {
        Self::with(tabs, Profile::default())
    }

    pub fn with(tabs: usize, profile: Profile) -> Self {
        let mut server = Server::default();
        server.lifetime = profile.lifetime;
        let mut w = Self {
            tabs: Vec::new(),
            next_uid: 0,
            server,
            jars: [None, None],
            profile,
            activity: [f64::NEG_INFINITY; 2],
            logout_calls: [0; 2],
            remote_uids: BTreeSet::new(),
            lock_given_up: f64::NEG_INFINITY,
            degraded_end: false,
            legs: Vec::new(),
            ghosts: Vec::new(),
            lock_holder: None,
            shared: None,
            lock_queue: VecDeque::new(),
            lock_seen: BTreeMap::new(),
            channel: BTreeMap::new(),
            latency_bound: None,
            mono: 1_000.0,
            wall: 1_800_000_000_000.0,
            real: 1_800_000_000_000.0,
            network_down: false,
            next_fault: None,
            faults: 0,
            soft_faults: 0,
            last_fault_mono: f64::NEG_INFINITY,
            faults_seen: 0,
            unavoidable_reuse: false,
            caller_abort: None,
            actions: Vec::new(),
            call_actions: BTreeMap::new(),
            violations: Vec::new(),
            raced: false,
            clock_went_back: false,
            clock_ended_sessions: false,
            set_token_used: false,
            step_no: 0,
            last_status: BTreeMap::new(),
            dead_app_tokens: Default::default(),
            slept_on_wire: Default::default(),
            died_on_wire: Default::default(),
            refresh_posts: 0,
            token_lag: Default::default(),
            freshness_checks: std::env::var_os("SIM_FRESHNESS").map_or(true, |v| v != "0"),
        };
        for _ in 0..tabs.max(1) {
            w.open_tab(0);
        }
        if profile.remote {
            w.open_tab(1);
        }
        w
    }

    /// The main device's tabs.
    pub fn main_tabs(&self) -> impl Iterator<Item = &Tab> {
        self.tabs.iter().filter(|t| t.device == 0)
    }

    fn new_machine(&mut self, device: usize) -> (u64, Machine) {
        self.next_uid += 1;
        let uid = self.next_uid;
        if device == 1 {
            self.remote_uids.insert(uid);
        }
        (uid, Machine::new(config(&self.profile, device), uid.wrapping_mul(0x9E37_79B9_7F4A_7C15)))
    }

    /// Real time (the server's clock), ms.
    pub fn real_ms(&self) -> f64 {
        self.real
    }

    pub fn now(&self) -> Instant {
        Instant::new(self.mono, self.wall)
    }

    fn violation(&mut self, what: String) {
        self.violations.push(format!("step {}: {what}", self.step_no));
    }

    fn tab_index(&self, uid: u64) -> Option<usize> {
        self.tabs.iter().position(|t| t.uid == uid)
    }

    fn open_tab(&mut self, device: usize) {
        let (uid, machine) = self.new_machine(device);
        self.tabs.push(Tab::new(uid, device, machine));
        // A page starts by restoring its session from the cookie.
        self.act(self.tabs.len() - 1, Action::Restore);
    }

    fn close_tab(&mut self, index: usize) {
        if self.main_tabs().count() <= 1 || self.tabs[index].device != 0 {
            return;
        }
        let tab = self.tabs.remove(index);
        self.forget_tab(tab.uid, false);
        // Its disposed managers' POSTs go with the page, and their locks.
        for g in (0..self.ghosts.len()).rev() {
            if self.ghosts[g].page == tab.uid {
                let ghost = self.ghosts.remove(g);
                if self.legs.iter().any(|l| l.tab == ghost.uid && !l.cancelled) {
                    self.faults += 1;
                    self.unavoidable_reuse = true;
                }
                self.forget_tab(ghost.uid, false);
            }
        }
    }

    /// A closed tab or disposed manager: its lock requests go, its answers are lost; except,
    /// for a manager that lets its POST finish (`draining`), that POST and the lock it kept.
    fn forget_tab(&mut self, uid: u64, draining: bool) {
        self.lock_queue.retain(|(t, _)| *t != uid);
        if self.lock_holder.is_some_and(|(t, _)| t == uid) && !draining {
            self.lock_holder = None;
        }
        for leg in self.legs.iter_mut().filter(|l| l.tab == uid) {
            if !(draining && matches!(leg.kind, LegKind::Post { .. })) {
                leg.cancelled = true;
            }
        }
        // Messages it posted still arrive: BroadcastChannel queues a task on every receiver
        // when `postMessage` is called, and closing the sender takes none of them back.
        self.channel.retain(|(_, to), _| *to != uid);
        self.grant_lock();
    }

    // ---- steps ---------------------------------------------------------------------------

    pub fn step(&mut self, step: Step) {
        self.step_no += 1;
        self.note_faults();
        if std::env::var_os("SIM_TRACE").is_some() {
            eprintln!(
                "--- step {} at mono {} wall {} (faults {}): {step:?}",
                self.step_no, self.mono, self.wall, self.faults
            );
        }
        // Nothing in a browser happens in zero time: each step is at least a millisecond
        // later (two logins adopted in the same millisecond would tie on their epoch).
        self.advance(1.0);
        match step {
            Step::Act { tab, action } => self.act(tab % self.tabs.len(), action),
            Step::Network(n) => self.deliver_leg(n),
            Step::Channel(n) => self.deliver_message(n),
            Step::Advance(ms) => self.advance(f64::from(ms)),
            Step::Sleep { ms, mono_stops } => {
                for leg in self.legs.iter().filter(|l| !l.cancelled && l.answer.is_none()) {
                    if let LegKind::Api { req, .. } = leg.kind {
                        self.slept_on_wire.insert((leg.tab, req));
                    }
                }
                let ms = f64::from(ms);
                self.wall += ms;
                self.real += ms;
                if !mono_stops {
                    self.mono += ms;
                }
                for i in 0..self.tabs.len() {
                    let now = self.now();
                    self.tabs[i].machine.wake(now, Wake::Visible);
                    let device = self.tabs[i].device;
                    self.activity[device] = self.real;
                    self.pump(i);
                }
                self.advance(0.0);
            }
            Step::ClockJump(forward) => {
                self.wall += if forward { 3_600_000.0 } else { -3_600_000.0 };
                self.clock_went_back |= !forward;
                // With session lifetimes, a wall clock moved forward ends sessions early (the
                // end is on the wall clock); the server's clock did not move.
                self.clock_ended_sessions |= forward && self.profile.lifetime.is_some();
            }
            // Counted when it strikes (the next POST that reaches the server, in `arrive`), not
            // when armed: a request started in between suffers it as much as one started before.
            Step::Fault(f) => self.next_fault = Some(f),
            Step::NetworkDown(true) => {
                if !self.network_down {
                    self.faults += 1;
                    self.network_down = true;
                    for i in 0..self.tabs.len() {
                        let now = self.now();
                        self.tabs[i].machine.wake(now, Wake::Offline);
                        self.pump(i);
                    }
                }
            }
            Step::NetworkDown(false) => self.network_up(),
            Step::OpenTab => {
                if self.main_tabs().count() < 6 {
                    self.open_tab(0);
                }
            }
            Step::CloseTab(n) => {
                let index = n % self.tabs.len();
                let busy = self.legs.iter().any(|l| l.tab == self.tabs[index].uid && !l.cancelled);
                if busy {
                    // A request cut off mid-way may have been committed by the server.
                    self.faults += 1;
                    self.unavoidable_reuse = true;
                }
                self.close_tab(index);
            }
        }
    }

    pub fn act(&mut self, i: usize, action: Action) {
        let now = self.now();
        let uid = self.tabs[i].uid;
        let device = self.tabs[i].device;
        let user_at_start = self.tabs[i].machine.access_token().and_then(user_of);
        let record = |w: &mut Self, call: CallId, kind: SessionAction| {
            w.actions.push((uid, kind));
            w.call_actions.insert((uid, call), w.actions.len() - 1);
        };
        let m = &mut self.tabs[i].machine;
        match action {
            Action::Fetch | Action::KeepaliveFetch => {
                let start = FetchStart {
                    url: format!("{ORIGIN}/api/me"),
                    has_authorization: false,
                    keepalive: action == Action::KeepaliveFetch,
                    replayable: true,
                };
                let req = m.fetch(now, start);
                // A keepalive request never waits and is never replayed: a 401 is its answer.
                let user_at_start = if action == Action::KeepaliveFetch { None } else { user_at_start };
                let rec =
                    FetchRecord { faults_at_start: self.faults, soft_faults_at_start: self.soft_faults, user_at_start };
                self.tabs[i].fetches.insert(req, rec);
            }
            Action::Login(user) => {
                let call = self.tabs[i].machine.login(now);
                self.tabs[i].calls.insert(call, CallKind::Login);
                let racing_logout = self
                    .tabs
                    .iter()
                    .any(|t| t.uid != uid && t.device == device && t.calls.values().any(|k| *k == CallKind::Logout));
                self.raced |= racing_logout;
                record(self, call, SessionAction::Login { user, ok: None, racing_logout });
            }
            Action::Logout(Scope::Others) => {
                let before = self.tabs[i].machine.state();
                let call = self.tabs[i].machine.logout(now, Scope::Others);
                self.tabs[i].calls.insert(call, CallKind::LogoutOthers);
                if self.tabs[i].machine.state() != before {
                    self.violation(format!("tab {uid}: logout(others) changed its state from {before:?}"));
                }
            }
            Action::Logout(scope) => {
                let racing_login = self
                    .tabs
                    .iter()
                    .any(|t| t.uid != uid && t.device == device && t.calls.values().any(|k| *k == CallKind::Login));
                self.raced |= racing_login;
                self.logout_calls[device] += 1;
                let m = &mut self.tabs[i].machine;
                let call = m.logout(now, scope);
                self.tabs[i].calls.insert(call, CallKind::Logout);
                record(self, call, SessionAction::Logout);
            }
            Action::Activity(wake) => {
                if wake {
                    m.wake(now, Wake::Activity);
                } else {
                    m.activity(now);
                }
                self.activity[device] = self.real;
            }
            Action::Refresh | Action::Restore => {
                let kind = if action == Action::Refresh { RefreshKind::Explicit } else { RefreshKind::Restore };
                // `refresh()` in a tab that never held a token asks the cookie as `restore()`
                // does (and may revive a session a logout called before it left valid).
                let asks_the_cookie = action == Action::Restore || m.generation().0 == 0;
                let call = m.refresh(now, kind);
                self.tabs[i].calls.insert(call, CallKind::Refresh);
                if asks_the_cookie {
                    self.actions.push((uid, SessionAction::Other));
                }
            }
            Action::AbortLogin => {
                let newest = self.tabs[i].calls.iter().filter(|(_, k)| **k == CallKind::Login).map(|(c, _)| *c).max();
                if let Some(call) = newest {
                    self.caller_abort = Some(uid);
                    self.tabs[i].machine.abort_call(now, call);
                    self.pump(i);
                    self.caller_abort = None;
                }
            }
            Action::GetToken => {
                let call = m.get_access_token(now);
                self.tabs[i].calls.insert(call, CallKind::Token);
            }
            Action::SetToken => {
                // The app hands over the token another tab holds (if any): a token it got
                // from somewhere, valid or not.
                let token = self
                    .tabs
                    .iter()
                    .filter(|t| t.device == device)
                    .find_map(|t| t.machine.access_token().map(str::to_owned));
                if let Some(token) = token {
                    self.set_token_used = true;
                    // The app's token may be dead at the server already: outside what the
                    // manager can guarantee, so the 401 check treats it like a fault.
                    self.faults += 1;
                    if self.server.api(Some(&token), self.real) != 200 {
                        self.dead_app_tokens.insert(token.clone());
                    }
                    let _ = self.tabs[i].machine.set_access_token(now, token.into(), Some(10.0));
                    self.actions.push((uid, SessionAction::Other));
                }
            }
            Action::Remount => {
                // Its lock requests are withdrawn (not a wait given up).
                self.lock_queue.retain(|(t, _)| *t != uid);
                self.tabs[i].machine.dispose(now);
                self.pump(i);
                let draining = self.tabs[i].machine.poll_timeout(now).is_some();
                if draining && self.tabs[i].machine.kept_lock().is_none() {
                    // Without a lock nothing keeps the new manager's restore from overtaking
                    // the POST let finish with the cookie it rotates: that needs the server's
                    // reuse grace (documented).
                    self.unavoidable_reuse = true;
                }
                self.forget_tab(uid, draining);
                self.next_uid += 1;
                let new_uid = self.next_uid;
                let machine = Machine::new(config(&self.profile, device), new_uid.wrapping_mul(0x9E37_79B9_7F4A_7C15));
                if device == 1 {
                    self.remote_uids.insert(new_uid);
                }
                let old = std::mem::replace(&mut self.tabs[i], Tab::new(new_uid, device, machine));
                for g in self.ghosts.iter_mut().filter(|g| g.page == uid) {
                    g.page = new_uid;
                }
                if draining {
                    self.ghosts.push(Ghost { uid, page: new_uid, machine: old.machine });
                }
                self.act(i, Action::Restore);
                return;
            }
        }
        self.pump(i);
    }

    /// Carry out tab `i`'s outputs until there are none.
    fn pump(&mut self, i: usize) {
        let uid = self.tabs[i].uid;
        let device = self.tabs[i].device;
        while let Some(out) = self.tabs[i].machine.poll_output() {
            if std::env::var_os("SIM_TRACE").is_some() {
                eprintln!("[{} tab {uid}] {out:?}", self.mono);
            }
            match out {
                Output::Post { id, endpoint } => {
                    let user = match endpoint {
                        Endpoint::Login(call) => self.login_user(uid, call),
                        _ => 0,
                    };
                    // (A session-only login's token request is a new session's first token.)
                    if endpoint == Endpoint::Refresh && !self.tabs[i].machine.logging_in() {
                        self.no_refresh_past_the_limits(i);
                    }
                    self.send(uid, device, LegKind::Post { id, endpoint, user });
                }
                Output::AbortPost(id) => self.abort_post(uid, id),
                Output::Send { req, authorize } => {
                    let token = match authorize {
                        Authorize::Token { generation, .. } => match self.tabs[i].machine.token_value(generation) {
                            Some(t) => Some(t.to_owned()),
                            None => {
                                self.violation(format!("tab {uid}: Send with generation {generation:?} not held"));
                                None
                            }
                        },
                        Authorize::Bare | Authorize::Untouched => None,
                    };
                    self.send(uid, device, LegKind::Api { req, token });
                }
                Output::FinishFetch { req, end } => self.fetch_finished(i, req, end),
                Output::RequestLock(id) => {
                    if self.lock_holder.is_some_and(|(t, _)| t == uid) {
                        // Web Locks would queue it behind the tab's own hold: a deadlock until
                        // the wait gives up.
                        self.violation(format!("tab {uid}: asks for the lock while it holds it"));
                    }
                    self.lock_queue.push_back((uid, id));
                    self.lock_seen.insert((uid, id), self.lock_holder);
                }
                Output::LockStuck(id) => {
                    // The executor looks at the holder: the same one as at the last look is
                    // stuck, and the lock is stolen from it (Web Locks `steal`: its later
                    // release is a no-op; the stealer is next). A degraded mode: a fault.
                    let holder = self.lock_holder;
                    match self.lock_seen.insert((uid, id), holder) {
                        Some(seen) if seen == holder && holder.is_some() && self.lock_queue.contains(&(uid, id)) => {
                            self.lock_queue.retain(|e| *e != (uid, id));
                            self.lock_holder = None;
                            self.lock_queue.push_front((uid, id));
                            self.faults += 1;
                        }
                        _ => {}
                    }
                }
                Output::ReleaseLock(id) => {
                    if self.lock_holder == Some((uid, id)) {
                        self.lock_holder = None;
                    } else if self.lock_queue.contains(&(uid, id)) {
                        self.lock_queue.retain(|e| *e != (uid, id));
                        // A wait given up (past LOCK_WAIT_MS): degraded mode, counted as a
                        // fault; a caller's abort withdraws it and excuses nothing.
                        if self.caller_abort != Some(uid) {
                            self.faults += 1;
                            self.lock_given_up = self.mono;
                        }
                    }
                }
                Output::Broadcast(message) => {
                    // The idle timeout is a logout (`last_action_wins`), when it strikes (its
                    // event waits for the POST, which may fail and leave the cookie valid:
                    // `serverConfirmed: false`, as documented).
                    if matches!(message, Message::Ended { reason: EndReason::Idle, .. }) {
                        self.actions.push((uid, SessionAction::Logout));
                    }
                    for t in &self.tabs {
                        if t.uid != uid && t.device == device {
                            self.channel.entry((uid, t.uid)).or_default().push_back((self.real, message.clone()));
                        }
                    }
                }
                Output::Settle { call, result } => {
                    if self.tabs[i].calls.remove(&call) == Some(CallKind::Token) && result.is_ok() {
                        // What the executor resolves now: the token held, or null.
                        let now = self.now();
                        let m = &self.tabs[i].machine;
                        if m.access_token().is_some() && m.expires_at(now).is_some_and(|at| at <= now.wall_ms) {
                            self.violation(format!("tab {uid}: getAccessToken() gave an expired token"));
                        }
                    }
                    if let Some(&index) = self.call_actions.get(&(uid, call)) {
                        if let SessionAction::Login { ok, .. } = &mut self.actions[index].1 {
                            *ok = Some(result.is_ok());
                        }
                    }
                }
                // The remote device's record is its own, and no tab there reads it.
                Output::StoreShared(_) if device != 0 => {}
                Output::StoreShared(record) => {
                    // As `src/web/storage.rs`: kept unless the stored one is newer (an end of
                    // the epoch a login stored replaces it: the clock may have gone back).
                    if self.shared.as_ref().map_or(true, |s| s.epoch <= record.epoch) {
                        self.shared = Some(record);
                    }
                }
                Output::Event(Event::SessionExpired { reason, .. }) => {
                    self.tabs[i].expired_events += 1;
                    self.end_has_a_cause(i, Some(reason));
                }
                Output::Event(Event::LoggedOut { .. }) => self.end_has_a_cause(i, None),
                Output::Event(_) | Output::Key(_) | Output::StepUp { .. } => {}
            }
        }
        self.note_session(i);
        self.grant_lock();
        self.note_faults();
    }

    /// After tab `i`'s outputs: a session start (a token in a new epoch, or where there was
    /// none) restarts the idle deadline as activity does; and the family it holds now.
    fn note_session(&mut self, i: usize) {
        let m = &self.tabs[i].machine;
        let key = (m.state() == SessionState::Authenticated, m.epoch());
        if key.0 && key != self.tabs[i].auth_key {
            self.activity[self.tabs[i].device] = self.real;
        }
        let family = m.access_token().and_then(|a| self.server.family_of(a, self.real)).map(|(f, _)| f);
        self.tabs[i].auth_key = key;
        self.tabs[i].family = family;
    }

    /// No refresh POST past the session's end or the idle deadline (as this tab knows them).
    fn no_refresh_past_the_limits(&mut self, i: usize) {
        let (m, wall) = (&self.tabs[i].machine, self.wall);
        let past = |limit: Option<f64>| limit.is_some_and(|l| wall >= l);
        if past(m.session_expires_at()) || past(m.idle_deadline()) {
            let what = format!(
                "tab {}: a refresh POST at wall {wall} past its limits (end {:?}, idle {:?})",
                self.tabs[i].uid,
                m.session_expires_at(),
                m.idle_deadline()
            );
            self.violation(what);
        }
    }

    /// An end event (`sessionExpired` with `reason`, or `loggedOut` for `None`) in tab `i` has a
    /// cause. A `loggedOut` needs a logout called on its device, or the idle timeout; a
    /// `lifetime` end needs family lifetimes. Any other end (the refresh rejected, here or in
    /// another tab) must not end a family the server still holds for the device: its cookie
    /// still continues the family the tab held (so a network error, an offline spell, a 503
    /// never end a session), unless a tab gave up waiting for the lock within a run's span
    /// (see `regressions::an_unlocked_login_ended_by_a_stale_rejection`).
    fn end_has_a_cause(&mut self, i: usize, expired: Option<&'static str>) {
        let (uid, device) = (self.tabs[i].uid, self.tabs[i].device);
        let cause = match expired {
            None => self.logout_calls[device] > 0 || self.profile.idle.is_some(),
            Some("lifetime") => self.profile.lifetime.is_some(),
            Some(reason) => {
                let held = self.tabs[i].family;
                let degraded = self.mono - self.lock_given_up < RUN_SPAN_MS;
                self.degraded_end |= degraded;
                held.is_none()
                    || self.server.live_family(self.jars[device].as_deref(), self.real) != held
                    || degraded
                    || (reason == "other_tab" && self.degraded_end)
            }
        };
        if !cause {
            let family = self.tabs[i].family;
            self.violation(format!("tab {uid}: an end ({expired:?}) with no cause; family {family:?} is live"));
        }
    }

    fn note_faults(&mut self) {
        if self.faults != self.faults_seen {
            self.faults_seen = self.faults;
            self.last_fault_mono = self.mono;
        }
    }

    /// Which user a login call signs in as (recorded when the action was taken).
    fn login_user(&mut self, uid: u64, call: CallId) -> u8 {
        self.call_actions.get(&(uid, call)).map_or(0, |&i| match self.actions[i].1 {
            SessionAction::Login { user, .. } => user,
            _ => 0,
        })
    }

    fn fetch_finished(&mut self, i: usize, req: ReqId, end: FetchEnd) {
        let Some(rec) = self.tabs[i].fetches.remove(&req) else {
            return self.violation(format!("FinishFetch for unknown {req:?}"));
        };
        let FetchEnd::Response = end else { return };
        let (status, token) = self.last_status.remove(&(self.tabs[i].uid, req)).unwrap_or((0, None));
        // The app handed in a token already dead (`setAccessToken`), and the request's last
        // send carried it: outside what the manager can guarantee.
        let dead_app_token = token.is_some_and(|t| self.dead_app_tokens.contains(&t));
        let slept_on_wire = self.slept_on_wire.remove(&(self.tabs[i].uid, req));
        let died_on_wire = self.died_on_wire.remove(&(self.tabs[i].uid, req));
        // No 401 to the app while the server still holds a live session for the user the tab
        // was (and still is) signed in as, unless a fault happened meanwhile.
        if status == 401
            && !slept_on_wire
            && !died_on_wire
            && !dead_app_token
            && rec.faults_at_start == self.faults
            && !self.transient_faults_excuse(rec.soft_faults_at_start)
            && !self.network_down
            && rec.user_at_start.is_some()
            && self.tabs[i].machine.access_token().and_then(user_of) == rec.user_at_start
            && self.server.live_user(self.jars[self.tabs[i].device].as_deref(), self.real) == rec.user_at_start
        {
            let uid = self.tabs[i].uid;
            self.violation(format!("tab {uid}: {req:?} answered 401 to the app while the session is live"));
        }
    }

    /// Did 503/429 answers during a request make its 401 unavoidable? When there were as many
    /// as a run has attempts, or when the run they struck had already spent attempts on real
    /// faults (one struck within [`RUN_SPAN_MS`]).
    fn transient_faults_excuse(&mut self, soft_faults_at_start: u64) -> bool {
        self.note_faults();
        let during = self.soft_faults - soft_faults_at_start;
        during >= u64::from(Backoff::default().max_attempts)
            || (during > 0 && self.mono - self.last_fault_mono < RUN_SPAN_MS)
    }

    fn send(&mut self, tab: u64, device: usize, kind: LegKind) {
        self.legs.push(Leg {
            tab,
            device,
            kind,
            answer: None,
            cancelled: false,
            not_before: self.real,
            faulted: None,
            since: self.real,
        });
    }

    fn grant_lock(&mut self) {
        while self.lock_holder.is_none() {
            let Some((uid, id)) = self.lock_queue.pop_front() else { return };
            let Some(i) = self.tab_index(uid) else { continue };
            self.lock_holder = Some((uid, id));
            let now = self.now();
            let shared = self.shared;
            if std::env::var_os("SIM_TRACE").is_some() {
                eprintln!(
                    "[{} tab {uid}] lock {id:?} granted; shared {shared:?}, epoch {:?}",
                    self.mono,
                    self.tabs[i].machine.epoch()
                );
            }
            self.tabs[i].machine.lock_granted(now, id, shared);
            self.pump(i);
        }
    }

    fn deliver_leg(&mut self, n: usize) {
        let ready: Vec<usize> = (0..self.legs.len()).filter(|&k| self.legs[k].not_before <= self.real).collect();
        if ready.is_empty() {
            return;
        }
        self.deliver_leg_index(ready[n % ready.len()]);
    }

    /// Move leg `k` one hop: to the server, or its answer to the tab.
    fn deliver_leg_index(&mut self, k: usize) {
        if self.legs[k].cancelled && self.legs[k].answer.is_none() {
            self.legs.remove(k);
            return;
        }
        match self.legs[k].answer.clone() {
            None => self.arrive(k),
            Some(answered) => {
                let leg = self.legs.remove(k);
                self.answer(leg, answered);
            }
        }
    }

    /// A request reaches the server (or fails on a network that is down).
    fn arrive(&mut self, k: usize) {
        if self.network_down {
            let answered = match self.legs[k].kind {
                LegKind::Post { .. } => Answered::Post(None),
                LegKind::Api { .. } => Answered::Api(0),
            };
            self.legs[k].answer = Some(answered);
            return;
        }
        let answered = match self.legs[k].kind.clone() {
            LegKind::Api { token, req } => {
                let status = self.server.api(token.as_deref(), self.real);
                let live_when_sent = token
                    .as_deref()
                    .and_then(|t| self.server.expiry_of(t))
                    .is_some_and(|expiry| self.legs[k].since < expiry);
                let key = (self.legs[k].tab, req);
                if status == 401 && live_when_sent {
                    self.died_on_wire.insert(key);
                } else {
                    self.died_on_wire.remove(&key);
                }
                Answered::Api(status)
            }
            LegKind::Post { endpoint, user, .. } => {
                let fault = self.next_fault.take();
                if fault.is_some_and(|f| !f.is_transient()) {
                    self.faults += 1;
                }
                self.legs[k].faulted = fault;
                let answer = match fault {
                    Some(Fault::Status503) => Some(Answer {
                        status: 503,
                        retry_after_s: None,
                        cookie: SetCookie::Keep,
                        token: None,
                        session_s: None,
                    }),
                    Some(Fault::TooMany) => Some(Answer {
                        status: 429,
                        retry_after_s: Some(2),
                        cookie: SetCookie::Keep,
                        token: None,
                        session_s: None,
                    }),
                    _ => {
                        let cookie = self.jars[self.legs[k].device].clone();
                        let a = match endpoint {
                            Endpoint::Refresh => {
                                self.refresh_posts += 1;
                                self.server.refresh(cookie.as_deref(), self.real)
                            }
                            Endpoint::Login(_) => self.server.login(user, self.real),
                            Endpoint::Logout(scope) => self.server.logout(cookie.as_deref(), scope, self.real),
                        };
                        Some(a)
                    }
                };
                match fault {
                    Some(Fault::CommitThenDrop) => {
                        self.unavoidable_reuse = true;
                        Answered::Post(None)
                    }
                    Some(Fault::Slow) => {
                        self.legs[k].not_before = self.real + 20_000.0;
                        if answer.as_ref().is_some_and(|a| a.cookie != SetCookie::Keep) {
                            self.unavoidable_reuse = true;
                        }
                        Answered::Post(answer)
                    }
                    _ => Answered::Post(answer),
                }
            }
        };
        self.legs[k].answer = Some(answered);
        self.legs[k].since = self.real;
    }

    /// An answer reaches the browser.
    fn answer(&mut self, leg: Leg, answered: Answered) {
        if leg.cancelled {
            return;
        }
        let Some(i) = self.tab_index(leg.tab) else { return self.ghost_answer(leg, answered) };
        match leg.faulted {
            Some(f) if f.is_transient() => self.soft_faults += 1,
            // Counted again as the tab sees it: a request that joined the run after the fault
            // struck the server, but before its answer came, suffers it too.
            Some(_) => self.faults += 1,
            None => {}
        }
        let now = self.now();
        match (leg.kind, answered) {
            (LegKind::Post { id, endpoint, .. }, Answered::Post(answer)) => {
                let outcome = match answer {
                    None => HttpOutcome::NetworkError,
                    Some(a) => {
                        self.store_cookie(leg.device, &a.cookie);
                        if let Some((token, _)) = &a.token {
                            self.token_lag.entry(token.clone()).or_insert(self.real - leg.since);
                        }
                        let token = match a.token {
                            Some((token, expires_in_s)) => Ok(TokenAnswer {
                                token: token.into(),
                                expires_in_s: Some(expires_in_s),
                                dpop: false,
                                session_s: a.session_s,
                            }),
                            None => Err("the response carries no access token"),
                        };
                        HttpOutcome::Answer {
                            status: a.status,
                            retry_after_ms: a.retry_after_s.map(|s| f64::from(s) * 1000.0),
                            token,
                        }
                    }
                };
                let before = self.tabs[i].machine.access_token().map(str::to_owned);
                let authenticated = self.tabs[i].machine.state() == SessionState::Authenticated;
                let status = match outcome {
                    HttpOutcome::Answer { status, .. } => Some(status),
                    _ => None,
                };
                self.tabs[i].machine.post_done(now, id, outcome);
                self.answer_kept_its_promise(i, endpoint, status, before, authenticated);
            }
            (LegKind::Api { req, token }, Answered::Api(status)) => {
                if status == 0 {
                    // Network error: fetch rejects; the executor drops the request.
                    self.tabs[i].machine.fetch_dropped(req);
                    self.tabs[i].fetches.remove(&req);
                } else {
                    self.last_status.insert((leg.tab, req), (status, token));
                    self.tabs[i].machine.fetch_answered(now, req, status, false, None);
                }
            }
            _ => {}
        }
        self.pump(i);
    }

    /// What a token endpoint's answer must do in tab `i`, which held `before` (and was
    /// `authenticated`): a `401` to a refresh ends a session the server revoked (global
    /// sign-out elsewhere, ...): no tab keeps it past its next refresh answer; an `others`
    /// sign-out's answer never ends the calling tab's session.
    fn answer_kept_its_promise(
        &mut self,
        i: usize,
        endpoint: Endpoint,
        status: Option<u16>,
        before: Option<String>,
        authenticated: bool,
    ) {
        let m = &self.tabs[i].machine;
        let uid = self.tabs[i].uid;
        match endpoint {
            Endpoint::Refresh if status == Some(401) => {
                let kept = m.state() == SessionState::Authenticated && m.access_token() == before.as_deref();
                let revoked = before.and_then(|t| self.server.family_of(&t, self.real)).is_some_and(|(_, dead)| dead);
                // (`setAccessToken` may hand that very token in again, after the refresh left.)
                // A run still under way did not take the answer: it belonged to a session that
                // changed hands meanwhile (a peer's token, dead by now), and the run asked again
                // at once for the current one (`retarget`); the next answer, or the quiescence
                // check, holds it to this.
                if kept && revoked && !self.set_token_used && !m.refreshing() {
                    self.violation(format!("tab {uid}: keeps a revoked session after its refresh was answered 401"));
                }
            }
            Endpoint::Logout(Scope::Others) if authenticated && m.state() != SessionState::Authenticated => {
                self.violation(format!("tab {uid}: logout(others) ended its own session ({:?})", m.state()));
            }
            _ => {}
        }
    }

    fn deliver_message(&mut self, n: usize) {
        let keys: Vec<(u64, u64)> = self.channel.iter().filter(|(_, q)| !q.is_empty()).map(|(k, _)| *k).collect();
        if keys.is_empty() {
            return;
        }
        self.deliver_message_of(keys[n % keys.len()]);
    }

    /// Deliver the head of the queue from `key.0` to `key.1`.
    fn deliver_message_of(&mut self, key: (u64, u64)) {
        let Some((sent_real, message)) = self.channel.get_mut(&key).and_then(VecDeque::pop_front) else { return };
        let Some(i) = self.tab_index(key.1) else { return };
        let now = self.now();
        if std::env::var_os("SIM_TRACE").is_some() {
            eprintln!("[{} tab {}] <- {message:?} (epoch before {:?})", self.mono, key.1, self.tabs[i].machine.epoch());
        }
        let before = Held::of(&self.tabs[i].machine, now);
        self.tabs[i].machine.peer_message(now, message.clone());
        if let Message::Token { token, remaining_ms, sent_wall_ms, .. } = &message {
            self.shared_token_kept_fresh(i, before, token, *remaining_ms, *sent_wall_ms, sent_real);
        }
        self.pump(i);
    }

    /// What a token message may do to the token tab `i` held (`before`), as the tab itself can
    /// tell (its own clocks and the message): the freshness of tokens other tabs share, stated
    /// directly rather than left to the 401 check, which sees a stale token only when it is
    /// dead at the server and a replay carries it (issue 28).
    ///
    /// - *Fresher only*: a token of the tab's own session (same epoch before and after) replaces
    ///   the one held only if it has strictly more life left, the message's age counted. (Not
    ///   the same life either: equal, both may be spent, and a `refreshed` for it is no news.)
    /// - *No life gained in transit*: a token taken from a message has at most the life the
    ///   sender gave it, less the real time the message waited, unless the wall clock went back
    ///   meanwhile (its age cannot be told then).
    /// - *Unknown age replaces nothing*: a message read before its send on the tab's wall clock
    ///   (the clock went back) never replaces a token of the tab's session.
    fn shared_token_kept_fresh(
        &mut self,
        i: usize,
        before: Held,
        token: &str,
        remaining_ms: Option<f64>,
        sent_wall_ms: f64,
        sent_real: f64,
    ) {
        let now = self.now();
        let after = Held::of(&self.tabs[i].machine, now);
        let adopted = after.generation != before.generation && after.token.as_deref() == Some(token);
        if !adopted || !self.freshness_checks {
            return;
        }
        let uid = self.tabs[i].uid;
        let same_session = before.token.is_some() && before.epoch == after.epoch;
        if same_session {
            if let (Some(ours), Some(theirs)) = (before.remaining_ms, after.remaining_ms) {
                if theirs <= ours {
                    self.violation(format!(
                        "tab {uid}: took another tab's token with {theirs} ms left for its own with {ours} ms \
                         (same session {:?}): not fresher",
                        after.epoch
                    ));
                }
            }
            if now.wall_ms < sent_wall_ms {
                self.violation(format!(
                    "tab {uid}: a token message of unknown age (sent at wall {sent_wall_ms}, read at {}) replaced \
                     its session's token",
                    now.wall_ms
                ));
            }
        }
        // The wall clock did not go back relative to real time while the message waited.
        let wall_kept_pace = now.wall_ms - self.real >= sent_wall_ms - sent_real;
        if let (Some(sent), Some(held), true) = (remaining_ms, after.remaining_ms, wall_kept_pace) {
            let left = sent - (self.real - sent_real);
            if held > left.max(0.0) + 0.01 {
                self.violation(format!(
                    "tab {uid}: took another tab's token with {held} ms left; it had {left} ms left (sent with {sent} ms, \
                     waited {} ms): life gained in transit",
                    self.real - sent_real
                ));
            }
        }
    }

    /// The network comes back (`online` in every tab). The outage is counted once more as it
    /// ends: a request that lived through it (started while down, answered after) saw a fault.
    fn network_up(&mut self) {
        if !self.network_down {
            return;
        }
        self.network_down = false;
        self.faults += 1;
        for i in 0..self.tabs.len() {
            let now = self.now();
            self.tabs[i].machine.wake(now, Wake::Online);
            self.pump(i);
        }
    }

    /// The leg or message that reaches its latency bound first, and when (real ms).
    fn next_forced_delivery(&self) -> Option<(f64, Forced)> {
        let (network_ms, channel_ms) = self.latency_bound?;
        let legs = self.legs.iter().enumerate().map(|(k, l)| (l.since.max(l.not_before) + network_ms, Forced::Leg(k)));
        let messages = self
            .channel
            .iter()
            .filter_map(|(key, q)| q.front().map(|(sent, _)| (sent + channel_ms, Forced::Message(*key))));
        legs.chain(messages).min_by(|a, b| a.0.total_cmp(&b.0))
    }

    /// Let `ms` pass, firing every timer that falls due, in time order.
    pub fn advance(&mut self, ms: f64) {
        let target_mono = self.mono + ms;
        let mut spins = 0;
        loop {
            let now = self.now();
            // A disposed manager's deadline (the POST it lets finish) counts as a tab index
            // past the tabs.
            let n = self.tabs.len();
            let ghosts = self
                .ghosts
                .iter()
                .enumerate()
                .filter_map(|(g, ghost)| ghost.machine.poll_timeout(now).map(|t| (t, n + g)));
            let due = (0..n)
                .filter_map(|i| self.tabs[i].machine.poll_timeout(now).map(|t| (t, i)))
                .chain(ghosts)
                .filter(|(t, _)| *t <= target_mono)
                .min_by(|a, b| a.0.total_cmp(&b.0));
            // A leg or message at its latency bound goes first (monotonic and real time move
            // together here: no sleep inside `advance`).
            if let Some((at, delivery)) = self.next_forced_delivery() {
                let at_mono = self.mono + (at - self.real).max(0.0);
                if at_mono <= target_mono && due.map_or(true, |(t, _)| at_mono < t) {
                    let dt = at_mono - self.mono;
                    self.mono += dt;
                    self.wall += dt;
                    self.real += dt;
                    match delivery {
                        Forced::Leg(k) => self.deliver_leg_index(k),
                        Forced::Message(key) => self.deliver_message_of(key),
                    }
                    continue;
                }
            }
            let Some((t, i)) = due else { break };
            spins += 1;
            if i >= n {
                let dt = (t - self.mono).max(0.0);
                self.mono += dt;
                self.wall += dt;
                self.real += dt;
                let now = self.now();
                self.ghosts[i - n].machine.handle_timeout(now);
                self.pump_ghost(i - n);
                continue;
            }
            if spins > 10_000 {
                let detail = format!("{:#?}", self.tabs[i].machine);
                self.violation(format!("timer of tab {} spins at {t} (now {}): {detail}", self.tabs[i].uid, self.mono));
                break;
            }
            let dt = (t - self.mono).max(0.0);
            self.mono += dt;
            self.wall += dt;
            self.real += dt;
            let now = self.now();
            self.tabs[i].machine.handle_timeout(now);
            self.pump(i);
        }
        let dt = (target_mono - self.mono).max(0.0);
        self.mono += dt;
        self.wall += dt;
        self.real += dt;
    }

    /// The answer to a disposed manager's POST: the browser stores its cookie; the machine
    /// ignores it and lets go of its lock.
    fn ghost_answer(&mut self, leg: Leg, answered: Answered) {
        let Some(g) = self.ghosts.iter().position(|g| g.uid == leg.tab) else { return };
        let (LegKind::Post { id, .. }, Answered::Post(answer)) = (leg.kind, answered) else { return };
        if let Some(a) = &answer {
            self.store_cookie(leg.device, &a.cookie);
        }
        let now = self.now();
        self.ghosts[g].machine.post_done(now, id, HttpOutcome::NetworkError);
        self.pump_ghost(g);
    }

    /// What the browser does with an answer's `Set-Cookie`, read by the page or not.
    fn store_cookie(&mut self, device: usize, cookie: &SetCookie) {
        match cookie {
            SetCookie::Set(c) => self.jars[device] = Some(c.clone()),
            SetCookie::Clear => self.jars[device] = None,
            SetCookie::Keep => {}
        }
    }

    /// Tab `uid` aborts its POST `id`. A caller's abort excuses nothing; a POST given up for a
    /// slow network (a timeout) is a fault, and one the server had committed makes a reuse
    /// unavoidable (the browser never sees its answer).
    fn abort_post(&mut self, uid: u64, id: HttpId) {
        let by_caller = self.caller_abort == Some(uid);
        for leg in self.legs.iter_mut().filter(|l| l.tab == uid) {
            if !matches!(leg.kind, LegKind::Post { id: p, .. } if p == id) {
                continue;
            }
            if !by_caller {
                if leg.answer.as_ref().is_some_and(|a| matches!(a, Answered::Post(Some(_)))) {
                    self.unavoidable_reuse = true;
                }
                if !leg.cancelled {
                    self.faults += 1;
                }
            }
            leg.cancelled = true;
        }
    }

    /// Carry out a disposed manager's outputs: only the end of the POST it lets finish (its
    /// lock, or the POST's abort at its deadline). It goes once nothing is left.
    fn pump_ghost(&mut self, g: usize) {
        let uid = self.ghosts[g].uid;
        while let Some(out) = self.ghosts[g].machine.poll_output() {
            match out {
                Output::ReleaseLock(id) => {
                    if self.lock_holder == Some((uid, id)) {
                        self.lock_holder = None;
                        self.grant_lock();
                    }
                }
                Output::AbortPost(id) => self.abort_post(uid, id),
                other => self.violation(format!("disposed tab {uid}: {other:?}")),
            }
        }
        let now = self.now();
        if self.ghosts[g].machine.poll_timeout(now).is_none() {
            self.ghosts.remove(g);
        }
    }

    // ---- quiescence ------------------------------------------------------------------------

    fn busy(&self) -> bool {
        !self.legs.is_empty() || self.channel.values().any(|q| !q.is_empty())
    }

    /// Deliver everything, with no more faults, advancing time only as far as pending
    /// operations need (lock waits, timeouts, backoff).
    pub fn quiesce(&mut self) {
        self.network_up();
        self.next_fault = None;
        for _ in 0..2_000 {
            self.advance(1.0);
            if self.busy() {
                if let Some(k) = (0..self.legs.len()).find(|&k| self.legs[k].not_before <= self.real) {
                    let ready: Vec<usize> =
                        (0..self.legs.len()).filter(|&k| self.legs[k].not_before <= self.real).collect();
                    let n = ready.iter().position(|&r| r == k).unwrap_or(0);
                    self.deliver_leg(n);
                } else if self.channel.values().any(|q| !q.is_empty()) {
                    self.deliver_message(0);
                } else {
                    self.advance(1_000.0);
                }
                continue;
            }
            let pending =
                self.tabs.iter().any(|t| !t.calls.is_empty() || !t.fetches.is_empty() || t.machine.refreshing());
            if !pending {
                return;
            }
            self.advance(1_000.0);
        }
        self.violation("no quiescence after 2000 rounds".into());
    }

    pub fn pending(&self) -> Vec<String> {
        let mut out = Vec::new();
        for t in &self.tabs {
            if !t.calls.is_empty() {
                out.push(format!("tab {}: calls {:?} never settled", t.uid, t.calls));
            }
            if !t.fetches.is_empty() {
                out.push(format!("tab {}: fetches {:?} never settled", t.uid, t.fetches.keys()));
            }
        }
        out
    }

    /// The user whose session the main device's cookie continues.
    pub fn jar_user(&self) -> Option<u8> {
        self.server.live_user(self.jars[0].as_deref(), self.real)
    }

    pub fn state_of(&self, i: usize) -> SessionState {
        self.tabs[i].machine.state()
    }
}
