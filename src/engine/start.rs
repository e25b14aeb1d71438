//! Starting a sync: the start gate (forms open under "don't start sync while form is opened"),
//! signing in (the sign-in rule picks the password, or says why there is none), and the job the
//! sync task runs.

use tokio::sync::watch;

use super::{Engine, EngineEvent, Running, run};
use crate::remote::Remote;
use crate::rules::{
    self, LoginReason, SignIn, StartGate, SyncActivity, SyncMode, Trigger, WhileRunning,
};
use crate::settings::EffectiveSettings;
use crate::store::LastSync;

impl Engine {
    /// A sync that could not even start still counts as the previous sync for the result flags.
    pub(super) fn finished_without_sync(&mut self, trigger: Trigger, mode: SyncMode, error: &str) {
        let now = self.config.clock.now();
        let last = LastSync {
            started: now,
            ended: now,
            mode,
            trigger,
            flags: crate::store::SyncFlags {
                end: crate::store::SyncEnd::ConnectFailed { web_error: false },
                ..Default::default()
            },
            error: Some(error.to_string()),
            cause: None,
        };
        if let Ok(mut state) = self.store.sync_state() {
            state.last = Some(last.clone());
            let _ = self.store.set_sync_state(&state);
        }
        self.status.send_modify(|s| {
            s.last = Some(last.clone());
            s.last_error = last.error.clone();
        });
        let _ = self.events.send(EngineEvent::Finished(last));
    }

    pub(super) fn start_if_idle(
        &mut self,
        mode: SyncMode,
        trigger: Trigger,
        effective: &EffectiveSettings,
    ) {
        if self.running.is_some() {
            let decision = rules::while_running(trigger);
            match decision {
                WhileRunning::ModeSwitchWaits => self.mode_switch_queued = true,
                WhileRunning::FollowUpQueued { .. } => {
                    self.follow_up = true;
                    self.status.send_modify(|s| s.follow_up_queued = true);
                }
                WhileRunning::NotStarted { .. } => {}
            }
            self.decided(decision);
            return;
        }
        if mode == SyncMode::Background {
            let open_forms = self.ui.borrow().open_forms;
            let gate = rules::may_start_background_sync(
                effective.background_sync_behavior,
                trigger,
                open_forms,
            );
            if let StartGate::Defer { .. } = gate {
                self.decided(gate);
                self.deferred = Some(trigger);
                self.status.send_modify(|s| s.deferred = Some(trigger));
                return;
            }
        }
        let Some(settings) = self.store.settings().ok().flatten() else {
            return;
        };
        let password = match self.password_for(effective) {
            Ok(password) => password,
            Err(reason) => {
                self.decided(rules::Decision::NoPassword { trigger, reason });
                self.finished_without_sync(trigger, mode, &reason.to_string());
                return;
            }
        };
        let (cancel_tx, cancel_rx) = watch::channel(false);
        let job = run::Job {
            mode,
            trigger,
            behavior: effective.background_sync_behavior,
            background_sync: effective.background_sync,
            auto_sync_enabled: rules::auto_sync_enabled(
                effective.auto_sync,
                effective.auto_sync_interval,
            ),
            background_download: effective.background_download,
            remote: self.remote_for(&settings.server_url, &settings.user_name, &password),
            user: settings.user_name.clone(),
        };
        let ctx = run::Context {
            store_path: self.config.store_path.clone(),
            connection: self.sync_connection.clone(),
            clock: self.config.clock.clone(),
            status: self.status.clone(),
            events: self.events.clone(),
            ui: self.ui.clone(),
            network: self.network.subscribe(),
            cancel: cancel_rx,
            page_limit: self.config.page_limit,
        };
        self.follow_up = false;
        // The sync counts as running from now: a caller that sees Idle after this may trust it.
        self.status.send_modify(|s| {
            s.follow_up_queued = false;
            s.deferred = None;
            s.activity = SyncActivity::Running {
                mode,
                phase: rules::Phase::Connect,
            };
            s.phases = run::pending_phases();
            s.trigger = Some(trigger);
        });
        self.deferred = None;
        self.cancel = Some(cancel_tx);
        let done = self.done_tx.clone();
        self.running = Some(Running {
            task: tokio::spawn(async move {
                let _ = done.send(run::run(ctx, job).await);
            }),
        });
    }

    /// The engine's HTTP client for this server, user and password: the one built for the last
    /// sync when they are the same (its connections stay open between syncs; building one
    /// loads the system's root certificates, which costs milliseconds), else a new one.
    fn remote_for(&mut self, url: &str, user: &str, password: &str) -> Result<Remote, String> {
        let timeout = self.config.request_timeout;
        if let Some(remote) = &self.remote
            && remote.serves(url, user, password, timeout)
        {
            return Ok(remote.clone());
        }
        let remote =
            Remote::with_timeout(url, user, password, timeout).map_err(|e| e.to_string())?;
        self.remote = Some(remote.clone());
        Ok(remote)
    }

    /// The password this sync signs in with, or why it has none: the sign-in rule picks it, and
    /// the keeping rule says whether a typed one serves this sync only.
    fn password_for(&mut self, effective: &EffectiveSettings) -> Result<String, LoginReason> {
        // The engine holds what the device handed it, kept as the settings say now.
        let kept = self.session_password.as_ref().map(|_| {
            rules::keep_typed_password(effective.save_password, effective.require_sync_login)
        });
        let typed = rules::typed_password(kept, effective.require_sync_login);
        let credentials = self.credentials(effective);
        match rules::sign_in(effective.require_sync_login, credentials, typed, false) {
            SignIn::SavedPassword => self
                .store
                .password()
                .ok()
                .flatten()
                .ok_or(LoginReason::PasswordNotSaved),
            SignIn::TypedPassword => {
                let keep = rules::keep_typed_password(
                    effective.save_password,
                    effective.require_sync_login,
                );
                let typed = self.session_password.clone();
                if keep.after_sign_in().is_none() {
                    self.session_password = None;
                }
                typed.ok_or(LoginReason::PasswordNotSaved)
            }
            SignIn::Ask { reason } => Err(reason),
        }
    }
}
