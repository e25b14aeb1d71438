//! The reference, sentence by sentence: one named row per behavior of each rule.
//! Each row is its own test so a failure names the sentence it breaks.

use autosync::rules::*;
use autosync::settings::*;
use chrono::{DateTime, Duration, Utc};

/// Each row: `name: actual => expected;` becomes `#[test] fn name()`.
macro_rules! rows {
    ($( $name:ident : $actual:expr => $expected:expr ;)+) => {
        $( #[test] fn $name() { assert_eq!($actual, $expected); } )+
    };
}

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-26T09:00:00Z")
        .unwrap()
        .to_utc()
}

fn minutes_after(m: i64) -> DateTime<Utc> {
    t0() + Duration::minutes(m)
}

/// A device where nothing blocks the on-start sync; rows change one thing.
fn ready() -> OnStartState {
    OnStartState {
        auto_sync: AutoSync::OnStart,
        background_sync: true,
        credentials: Credentials::Saved,
        require_sync_login: false,
        last_successful_sync_end: Some(t0()),
        network: Network::Connected,
        unresolved_conflicts: 0,
        update_pending: false,
    }
}

fn start_at(minutes: i64, state: OnStartState) -> OnStartDecision {
    on_start(minutes_after(minutes), &state, Trigger::OnStart)
}

fn skip(reasons: Vec<SkipReason>) -> OnStartDecision {
    OnStartDecision::Skip { reasons }
}

fn started(mode: SyncMode) -> OnStartDecision {
    OnStartDecision::Start {
        mode,
        trigger: Trigger::OnStart,
    }
}

mod on_start_rule {
    use super::*;

    rows! {
        on_start_runs_when_nothing_blocks_it:
            start_at(60, ready()) => started(SyncMode::Background);
        on_start_runs_in_background_when_background_sync_is_on:
            start_at(60, ready()) => started(SyncMode::Background);
        on_start_shows_sync_screen_when_background_sync_is_off:
            start_at(60, OnStartState { background_sync: false, ..ready() }) => started(SyncMode::Foreground);
        on_start_and_on_change_includes_on_start:
            start_at(60, OnStartState { auto_sync: AutoSync::OnStartAndChange, ..ready() }) => started(SyncMode::Background);
        on_start_skipped_when_auto_sync_is_never:
            start_at(60, OnStartState { auto_sync: AutoSync::Never, ..ready() })
                => skip(vec![SkipReason::AutoSyncExcludesOnStart { auto_sync: AutoSync::Never }]);
        on_start_skipped_when_auto_sync_is_on_change_only:
            start_at(60, OnStartState { auto_sync: AutoSync::OnChange, ..ready() })
                => skip(vec![SkipReason::AutoSyncExcludesOnStart { auto_sync: AutoSync::OnChange }]);
        on_start_skipped_when_password_is_not_saved:
            start_at(60, OnStartState { credentials: Credentials::PasswordNotSaved, ..ready() })
                => skip(vec![SkipReason::PasswordNotSaved]);
        on_start_skipped_when_sync_login_is_required:
            start_at(60, OnStartState { require_sync_login: true, ..ready() })
                => skip(vec![SkipReason::SyncLoginRequired]);
        on_start_skipped_when_synced_14_minutes_ago:
            start_at(14, ready()) => skip(vec![SkipReason::SyncedRecently { minutes_ago: 14, minutes_left: 1 }]);
        on_start_skipped_when_synced_exactly_15_minutes_ago:
            start_at(15, ready()) => skip(vec![SkipReason::SyncedRecently { minutes_ago: 15, minutes_left: 0 }]);
        on_start_skipped_right_after_a_sync_with_15_minutes_left:
            start_at(0, ready()) => skip(vec![SkipReason::SyncedRecently { minutes_ago: 0, minutes_left: 15 }]);
        on_start_runs_when_synced_16_minutes_ago:
            start_at(16, ready()) => started(SyncMode::Background);
        on_start_runs_when_never_synced:
            start_at(0, OnStartState { last_successful_sync_end: None, ..ready() }) => started(SyncMode::Background);
        on_start_skipped_when_no_network_connection_is_active:
            start_at(60, OnStartState { network: Network::Disconnected, ..ready() }) => skip(vec![SkipReason::NoNetwork]);
        on_start_skipped_when_unresolved_sync_conflicts_remain:
            start_at(60, OnStartState { unresolved_conflicts: 2, ..ready() })
                => skip(vec![SkipReason::UnresolvedConflicts { count: 2 }]);
        on_start_reports_every_blocking_reason_not_just_the_first:
            start_at(3, OnStartState {
                auto_sync: AutoSync::Never,
                credentials: Credentials::PasswordNotSaved,
                require_sync_login: true,
                network: Network::Disconnected,
                unresolved_conflicts: 1,
                ..ready()
            }) => skip(vec![
                SkipReason::AutoSyncExcludesOnStart { auto_sync: AutoSync::Never },
                SkipReason::PasswordNotSaved,
                SkipReason::SyncLoginRequired,
                SkipReason::SyncedRecently { minutes_ago: 3, minutes_left: 12 },
                SkipReason::NoNetwork,
                SkipReason::UnresolvedConflicts { count: 1 },
            ]);
        on_start_also_fires_on_return_from_background:
            on_start(minutes_after(60), &ready(), Trigger::Resume)
                => OnStartDecision::Start { mode: SyncMode::Background, trigger: Trigger::Resume };
        return_from_background_within_15_minutes_is_skipped:
            on_start(minutes_after(5), &ready(), Trigger::Resume)
                => skip(vec![SkipReason::SyncedRecently { minutes_ago: 5, minutes_left: 10 }]);
        pending_project_update_forces_foreground_sync_at_start:
            start_at(2, OnStartState { update_pending: true, auto_sync: AutoSync::Never, ..ready() })
                => OnStartDecision::Start { mode: SyncMode::Foreground, trigger: Trigger::ProjectUpdate };
        pending_project_update_still_needs_network_at_start:
            start_at(60, OnStartState { update_pending: true, network: Network::Disconnected, ..ready() })
                => skip(vec![SkipReason::NoNetwork]);
        pending_project_update_still_needs_a_saved_password_at_start:
            start_at(60, OnStartState { update_pending: true, credentials: Credentials::PasswordNotSaved, ..ready() })
                => skip(vec![SkipReason::PasswordNotSaved]);
        checklist_lists_all_six_conditions_in_reference_order:
            on_start_checklist(minutes_after(60), &ready()).iter().map(|c| c.rule).collect::<Vec<_>>() => vec![
                OnStartRule::AutoSyncIncludesOnStart,
                OnStartRule::PasswordSaved,
                OnStartRule::NoSyncLogin,
                OnStartRule::NotSyncedWithin15Minutes,
                OnStartRule::NetworkActive,
                OnStartRule::NoUnresolvedConflicts,
            ];
        skip_reason_names_the_minutes_left_in_words:
            SkipReason::SyncedRecently { minutes_ago: 14, minutes_left: 1 }.to_string()
                => "synchronized 14 min ago (no more than 15); 1 min left";
    }
}

mod on_change_rule {
    use super::*;

    fn change(auto: AutoSync, activity: SyncActivity, queued: bool) -> OnChangeDecision {
        on_change(auto, true, vec![], activity, queued)
    }
    const RUNNING: SyncActivity = SyncActivity::Running {
        mode: SyncMode::Background,
        phase: Phase::Download,
    };

    rows! {
        on_change_syncs_after_every_data_change:
            change(AutoSync::OnChange, SyncActivity::Idle, false) => OnChangeDecision::StartNow { mode: SyncMode::Background };
        on_start_and_on_change_syncs_after_a_change:
            change(AutoSync::OnStartAndChange, SyncActivity::Idle, false) => OnChangeDecision::StartNow { mode: SyncMode::Background };
        on_change_does_not_fire_when_auto_sync_is_on_start_only:
            change(AutoSync::OnStart, SyncActivity::Idle, false) => OnChangeDecision::NotConfigured { auto_sync: AutoSync::OnStart };
        on_change_does_not_fire_when_auto_sync_is_never:
            change(AutoSync::Never, SyncActivity::Idle, false) => OnChangeDecision::NotConfigured { auto_sync: AutoSync::Never };
        on_change_during_a_running_sync_queues_one_follow_up:
            change(AutoSync::OnChange, RUNNING, false) => OnChangeDecision::QueueFollowUp;
        on_change_queues_exactly_one_follow_up_sync:
            change(AutoSync::OnChange, RUNNING, true) => OnChangeDecision::AlreadyQueued;
        on_change_with_background_sync_off_uses_the_sync_screen:
            on_change(AutoSync::OnChange, false, vec![], SyncActivity::Idle, false) => OnChangeDecision::StartNow { mode: SyncMode::Foreground };
        on_change_blocked_without_network:
            on_change(AutoSync::OnChange, true, auto_sync_blockers(Credentials::Saved, false, Network::Disconnected), SyncActivity::Idle, false)
                => OnChangeDecision::Blocked { reasons: vec![AutoSyncBlocker::NoNetwork] };
        on_change_blocked_when_sync_login_is_required:
            on_change(AutoSync::OnChange, true, auto_sync_blockers(Credentials::Saved, true, Network::Connected), SyncActivity::Idle, false)
                => OnChangeDecision::Blocked { reasons: vec![AutoSyncBlocker::SyncLoginRequired] };
        on_change_blocked_when_password_is_not_saved:
            on_change(AutoSync::OnChange, true, auto_sync_blockers(Credentials::PasswordNotSaved, false, Network::Connected), SyncActivity::Idle, false)
                => OnChangeDecision::Blocked { reasons: vec![AutoSyncBlocker::PasswordNotSaved] };
    }
}

mod interval_rule {
    use super::*;

    fn at(minutes: i64, seconds: u64, last_end: Option<DateTime<Utc>>) -> IntervalDecision {
        interval(
            minutes_after(minutes),
            seconds,
            last_end,
            SyncActivity::Idle,
            vec![],
        )
    }

    rows! {
        interval_zero_means_off:
            at(600, 0, Some(t0())) => IntervalDecision::Off;
        interval_counts_from_end_of_previous_sync:
            at(19, 1200, Some(t0())) => IntervalDecision::NotYet { due_at: minutes_after(20), seconds_left: 60 };
        interval_1200_initiates_sync_when_20_minutes_have_passed:
            at(20, 1200, Some(t0())) => IntervalDecision::Due;
        interval_not_due_while_a_sync_runs:
            interval(minutes_after(40), 1200, Some(t0()), SyncActivity::Running { mode: SyncMode::Background, phase: Phase::Upload }, vec![])
                => IntervalDecision::SyncRunning;
        interval_is_due_at_once_when_never_synced:
            at(0, 1200, None) => IntervalDecision::Due;
        interval_blocked_without_network_when_due:
            interval(minutes_after(30), 1200, Some(t0()), SyncActivity::Idle, vec![AutoSyncBlocker::NoNetwork])
                => IntervalDecision::Blocked { reasons: vec![AutoSyncBlocker::NoNetwork] };
        interval_forces_background_sync_even_with_background_sync_off:
            sync_mode(Trigger::Interval, false) => SyncMode::Background;
    }

    #[test]
    fn interval_overrides_the_auto_sync_option() {
        // The interval rule does not even take the Auto Sync option: Never does not stop it.
        assert_eq!(at(25, 1200, Some(t0())), IntervalDecision::Due);
        assert_eq!(
            on_change(AutoSync::Never, true, vec![], SyncActivity::Idle, false),
            OnChangeDecision::NotConfigured {
                auto_sync: AutoSync::Never
            }
        );
    }
}

mod mode_rule {
    use super::*;

    rows! {
        background_sync_on_disables_the_sync_screen:
            sync_mode(Trigger::Manual, true) => SyncMode::Background;
        background_sync_off_shows_the_sync_screen:
            sync_mode(Trigger::Manual, false) => SyncMode::Foreground;
        down_arrow_starts_a_manual_foreground_sync:
            sync_mode(Trigger::ProjectUpdate, true) => SyncMode::Foreground;
    }
}

mod save_gate_rule {
    use super::*;

    fn bg(phase: Phase) -> SyncActivity {
        SyncActivity::Running {
            mode: SyncMode::Background,
            phase,
        }
    }
    fn refused(behavior: BackgroundBehavior, phase: Phase) -> SaveDecision {
        SaveDecision::Refuse {
            reason: SaveRefusal::BlockedByBackgroundSync { behavior, phase },
        }
    }
    use BackgroundBehavior::*;

    rows! {
        save_allowed_when_no_sync_runs:
            save_gate(BlockSave, SyncActivity::Idle) => SaveDecision::Allow;
        block_save_forbids_save_during_upload:
            save_gate(BlockSave, bg(Phase::Upload)) => refused(BlockSave, Phase::Upload);
        block_save_forbids_save_during_download:
            save_gate(BlockSave, bg(Phase::Download)) => refused(BlockSave, Phase::Download);
        block_and_defer_forbids_save_while_sync_is_already_running:
            save_gate(BlockSaveAndDeferSync, bg(Phase::Download)) => refused(BlockSaveAndDeferSync, Phase::Download);
        no_action_lets_save_run_concurrently_with_upload:
            save_gate(NoAction, bg(Phase::Upload)) => SaveDecision::AllowConcurrent { phase: Phase::Upload };
        rebase_never_blocks_a_save:
            save_gate(Rebase, bg(Phase::Download)) => SaveDecision::AllowRebased { phase: Phase::Download };
        connect_phase_never_blocks_save:
            save_gate(BlockSave, bg(Phase::Connect)) => SaveDecision::Allow;
        customization_download_is_not_blocking:
            save_gate(BlockSave, bg(Phase::Customization)) => SaveDecision::Allow;
        attachments_phase_never_blocks_save:
            save_gate(BlockSave, bg(Phase::Attachments)) => SaveDecision::Allow;
        cloud_documents_phase_never_blocks_save:
            save_gate(BlockSaveAndDeferSync, bg(Phase::CloudDocuments)) => SaveDecision::Allow;
        emails_phase_never_blocks_save:
            save_gate(BlockSaveAndDeferSync, bg(Phase::Emails)) => SaveDecision::Allow;
        foreground_sync_entity_phase_makes_the_user_wait:
            save_gate(NoAction, SyncActivity::Running { mode: SyncMode::Foreground, phase: Phase::Upload })
                => SaveDecision::Refuse { reason: SaveRefusal::ForegroundSync { phase: Phase::Upload } };
        refused_save_says_edits_are_kept:
            refused(BlockSave, Phase::Upload).to_string().contains("your edits are kept") => true;
        block_save_allows_the_saves_a_ui_transaction_holds_the_sync_for:
            save_gate(BlockSave, waiting(Phase::Upload)) => SaveDecision::Allow;
        block_and_defer_allows_saves_while_the_sync_waits_before_download:
            save_gate(BlockSaveAndDeferSync, waiting(Phase::Download)) => SaveDecision::Allow;
        a_waiting_sync_says_how_many_ui_transactions_hold_it:
            waiting(Phase::Upload).to_string() => "waiting for UI transactions (2 held)";
    }

    fn waiting(before: Phase) -> SyncActivity {
        SyncActivity::WaitingForUiTransactions {
            mode: SyncMode::Background,
            before,
            held: 2,
        }
    }
}

mod uploads_with_rule {
    use super::*;
    use UploadSnapshot::*;

    fn bg(phase: Phase) -> SyncActivity {
        SyncActivity::Running {
            mode: SyncMode::Background,
            phase,
        }
    }

    rows! {
        with_no_sync_running_a_save_uploads_with_the_next_sync:
            uploads_with(SyncActivity::Idle, NotTaken) => UploadsWith::NextSync;
        a_save_during_connect_uploads_with_the_running_sync:
            uploads_with(bg(Phase::Connect), NotTaken) => UploadsWith::RunningSync;
        a_save_while_the_sync_waits_before_its_upload_uploads_with_it:
            uploads_with(SyncActivity::WaitingForUiTransactions { mode: SyncMode::Background, before: Phase::Upload, held: 1 }, NotTaken) => UploadsWith::RunningSync;
        a_save_while_the_sync_waits_before_its_download_uploads_with_the_next:
            uploads_with(SyncActivity::WaitingForUiTransactions { mode: SyncMode::Background, before: Phase::Download, held: 1 }, Taken) => UploadsWith::NextSync;
        a_save_after_the_upload_snapshot_uploads_with_the_next_sync:
            uploads_with(bg(Phase::Attachments), Taken) => UploadsWith::NextSync;
    }
}

mod sign_in_rule {
    use super::*;
    use TypedPassword::*;

    rows! {
        a_saved_password_signs_in:
            sign_in(false, Credentials::Saved, None, false) => SignIn::SavedPassword;
        password_not_saved_asks_for_it:
            sign_in(false, Credentials::PasswordNotSaved, None, false) => SignIn::Ask { reason: LoginReason::PasswordNotSaved };
        a_password_typed_this_session_signs_in:
            sign_in(false, Credentials::PasswordNotSaved, EarlierThisSession, false) => SignIn::TypedPassword;
        sync_login_required_asks_even_with_a_saved_password:
            sign_in(true, Credentials::Saved, None, false) => SignIn::Ask { reason: LoginReason::SyncLoginRequired };
        sync_login_required_asks_again_for_each_sync:
            sign_in(true, Credentials::Saved, EarlierThisSession, false) => SignIn::Ask { reason: LoginReason::SyncLoginRequired };
        sync_login_required_signs_in_with_the_password_typed_for_this_sync:
            sign_in(true, Credentials::Saved, ForThisSync, false) => SignIn::TypedPassword;
        a_rejected_password_is_asked_for_again:
            sign_in(false, Credentials::Saved, None, true) => SignIn::Ask { reason: LoginReason::PasswordRejected };
        sync_login_required_is_said_in_the_reference_words:
            LoginReason::SyncLoginRequired.to_string().contains("sync login is required") => true;
    }
}

mod start_gate_rule {
    use super::*;
    use BackgroundBehavior::*;

    rows! {
        block_and_defer_does_not_start_sync_while_form_is_opened:
            may_start_background_sync(BlockSaveAndDeferSync, Trigger::OnChange, 1) => StartGate::Defer { open_forms: 1 };
        block_and_defer_defers_the_interval_sync_too:
            may_start_background_sync(BlockSaveAndDeferSync, Trigger::Interval, 2) => StartGate::Defer { open_forms: 2 };
        block_and_defer_starts_sync_once_forms_are_closed:
            may_start_background_sync(BlockSaveAndDeferSync, Trigger::OnChange, 0) => StartGate::Go;
        block_save_keeps_the_sync_schedule_with_a_form_open:
            may_start_background_sync(BlockSave, Trigger::Interval, 1) => StartGate::Go;
        no_action_starts_sync_with_a_form_open:
            may_start_background_sync(NoAction, Trigger::OnStart, 1) => StartGate::Go;
        user_pressed_sync_is_never_deferred:
            may_start_background_sync(BlockSaveAndDeferSync, Trigger::Manual, 1) => StartGate::Go;
        held_ui_transaction_defers_entity_phases:
            may_enter_entity_phase(1) => EntityPhaseGate::Wait { clearances_held: 1 };
        entity_phases_run_when_no_ui_transaction_is_held:
            may_enter_entity_phase(0) => EntityPhaseGate::Go;
    }
}

mod ui_transaction_rule {
    use super::*;
    use BackgroundBehavior::*;

    fn enter(behavior: BackgroundBehavior, activity: SyncActivity) -> bool {
        UiTransactions::default()
            .try_enter(behavior, activity)
            .is_ok()
    }
    fn bg(phase: Phase) -> SyncActivity {
        SyncActivity::Running {
            mode: SyncMode::Background,
            phase,
        }
    }

    rows! {
        try_enter_true_when_no_sync_runs:
            enter(BlockSave, SyncActivity::Idle) => true;
        try_enter_false_during_background_upload_under_block_save:
            enter(BlockSave, bg(Phase::Upload)) => false;
        try_enter_false_during_background_download_under_block_and_defer:
            enter(BlockSaveAndDeferSync, bg(Phase::Download)) => false;
        try_enter_true_under_no_action_even_during_download:
            enter(NoAction, bg(Phase::Download)) => true;
        try_enter_true_during_attachments_under_block_save:
            enter(BlockSave, bg(Phase::Attachments)) => true;
        try_enter_true_under_block_save_while_the_sync_waits_for_ui_transactions:
            enter(BlockSave, SyncActivity::WaitingForUiTransactions { mode: SyncMode::Background, before: Phase::Upload, held: 1 }) => true;
        leave_with_none_held_is_harmless:
            UiTransactions::default().leave() => LeaveOutcome::NoneHeld;
    }

    #[test]
    fn ui_transactions_nest_like_a_counter() {
        let mut tx = UiTransactions::default();
        for depth in 1..=3 {
            assert_eq!(tx.try_enter(BlockSave, SyncActivity::Idle), Ok(depth));
        }
        assert_eq!(
            may_enter_entity_phase(tx.held()),
            EntityPhaseGate::Wait { clearances_held: 3 }
        );
        assert_eq!(tx.leave(), LeaveOutcome::Released { still_held: 2 });
        assert_eq!(tx.leave(), LeaveOutcome::Released { still_held: 1 });
        assert_eq!(
            may_enter_entity_phase(tx.held()),
            EntityPhaseGate::Wait { clearances_held: 1 }
        );
        assert_eq!(tx.leave(), LeaveOutcome::Released { still_held: 0 });
        assert_eq!(may_enter_entity_phase(tx.held()), EntityPhaseGate::Go);
        assert_eq!(tx.leave(), LeaveOutcome::NoneHeld);
    }
}

mod mode_switch_rule {
    use super::*;
    use SyncBeforeSwitch::*;

    rows! {
        no_action_switches_without_syncing:
            plan_switch(NoAction) => SwitchPlan::SwitchNow;
        ask_user_to_sync_offers_sync_switch_or_cancel:
            plan_switch(AskUserToSync) => SwitchPlan::Ask { choices: vec![SwitchChoice::SyncThenSwitch, SwitchChoice::SwitchWithoutSync, SwitchChoice::Cancel] };
        warn_user_must_sync_offers_only_sync_or_cancel:
            plan_switch(WarnUserMustSync) => SwitchPlan::Ask { choices: vec![SwitchChoice::SyncThenSwitch, SwitchChoice::Cancel] };
        warn_user_must_sync_refuses_switching_without_sync:
            choose(WarnUserMustSync, SwitchChoice::SwitchWithoutSync).is_err() => true;
        ask_user_to_sync_allows_switching_without_sync:
            choose(AskUserToSync, SwitchChoice::SwitchWithoutSync) => Ok(SwitchStep::Switch);
        ask_user_cancel_stays_in_the_mode:
            choose(AskUserToSync, SwitchChoice::Cancel) => Ok(SwitchStep::Stay);
        force_sync_syncs_before_switching:
            plan_switch(ForceSync) => SwitchPlan::SyncThenSwitch;
        force_sync_switches_only_if_the_sync_succeeded:
            after_sync(ForceSync, ModeSwitch::GoOffline, false)
                => SwitchOutcome::Stay { reason: "the synchronization before going offline failed (ForceSync); the mode is unchanged".into() };
        force_sync_switches_after_a_successful_sync:
            after_sync(ForceSync, ModeSwitch::GoOnline, true) => SwitchOutcome::Switch;
    }
}

mod customization_rule {
    use super::*;

    rows! {
        background_sync_flags_update_with_down_arrow:
            on_newer_project(SyncMode::Background, true, true) => UpdateAction::FlagUpdateAvailable;
        update_cannot_be_launched_during_background_sync:
            on_newer_project(SyncMode::Background, true, true) != UpdateAction::ApplyNow => true;
        down_arrow_requires_automatic_synchronization:
            on_newer_project(SyncMode::Background, false, true) => UpdateAction::LeaveForNextForegroundSync;
        down_arrow_requires_background_download_true:
            on_newer_project(SyncMode::Background, true, false) => UpdateAction::LeaveForNextForegroundSync;
        foreground_sync_applies_the_update:
            on_newer_project(SyncMode::Foreground, true, true) => UpdateAction::ApplyNow;
        update_requires_all_local_changes_uploaded_first:
            may_apply_update(3) => ApplyGate::UploadFirst { pending: 3 };
        update_applies_when_nothing_is_pending:
            may_apply_update(0) => ApplyGate::Apply;
        sync_switches_back_to_background_after_update:
            after_update_applied(true) => SyncMode::Background;
    }
}

mod lock_rule {
    use super::*;

    fn user() -> UserSettings {
        UserSettings::from_project(&ProjectConfig::default(), "http://127.0.0.1:8787", "demo")
    }
    fn locked(keys: &[SettingKey]) -> ProjectConfig {
        ProjectConfig {
            locked: keys.iter().copied().collect(),
            ..ProjectConfig::default()
        }
    }

    rows! {
        unlocked_setting_can_be_changed:
            change_setting(&user(), &locked(&[]), SettingChange::AutoSync(AutoSync::Never)).map(|u| u.auto_sync) => Ok(AutoSync::Never);
        locked_setting_cannot_be_changed_in_the_app:
            change_setting(&user(), &locked(&[SettingKey::AutoSync]), SettingChange::AutoSync(AutoSync::Never))
                => Err(SettingError::Locked(SettingKey::AutoSync));
        locked_error_says_the_administrator_locked_it:
            SettingError::Locked(SettingKey::BackgroundSync).to_string() => "Background sync: Locked by the administrator";
        locked_setting_takes_the_published_value:
            EffectiveSettings::resolve(
                &UserSettings { auto_sync: AutoSync::Never, ..user() },
                &ProjectConfig { trigger_auto_sync: AutoSync::OnStart, ..locked(&[SettingKey::AutoSync]) },
            ).auto_sync => AutoSync::OnStart;
        unlocked_setting_takes_the_users_choice:
            EffectiveSettings::resolve(&UserSettings { auto_sync: AutoSync::Never, ..user() }, &locked(&[])).auto_sync => AutoSync::Never;
        trigger_auto_sync_is_the_default_auto_sync:
            UserSettings::from_project(&ProjectConfig { trigger_auto_sync: AutoSync::OnChange, ..ProjectConfig::default() }, "u", "demo").auto_sync
                => AutoSync::OnChange;
    }
}
