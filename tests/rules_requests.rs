//! The rules that used to be decided in the engine, the device and the App: whether auto sync
//! is enabled, what a sync the user asks for needs, what any trigger does while a sync runs,
//! and which password a sync signs in with and where a typed one is kept.

use autosync::rules::*;
use autosync::settings::AutoSync;

/// Each row: `name: actual => expected;` becomes `#[test] fn name()`.
macro_rules! rows {
    ($( $name:ident : $actual:expr => $expected:expr ;)+) => {
        $( #[test] fn $name() { assert_eq!($actual, $expected); } )+
    };
}

rows! {
    auto_sync_never_with_no_interval_is_not_automatic_synchronization:
        auto_sync_enabled(AutoSync::Never, 0) => false;
    an_auto_sync_interval_enables_automatic_synchronization_even_with_auto_sync_never:
        auto_sync_enabled(AutoSync::Never, 1200) => true;
    auto_sync_on_start_enables_automatic_synchronization:
        auto_sync_enabled(AutoSync::OnStart, 0) => true;

    sync_pressed_with_a_network_starts_in_the_background_with_background_sync_on:
        requested(Trigger::Manual, Network::Connected, true)
            => RequestDecision::Start { trigger: Trigger::Manual, mode: SyncMode::Background };
    sync_pressed_with_no_network_does_not_start:
        requested(Trigger::Manual, Network::Disconnected, true)
            => RequestDecision::NoNetwork { trigger: Trigger::Manual, mode: SyncMode::Background };
    the_down_arrow_needs_the_network_and_runs_in_the_foreground:
        requested(Trigger::ProjectUpdate, Network::Disconnected, true).mode() => SyncMode::Foreground;
    the_sync_before_a_mode_switch_needs_the_network:
        requested(Trigger::ModeSwitch, Network::Disconnected, false)
            => RequestDecision::NoNetwork { trigger: Trigger::ModeSwitch, mode: SyncMode::Foreground };
    a_request_without_network_says_so_in_the_references_words:
        requested(Trigger::Manual, Network::Disconnected, true).to_string()
            => "manual sync not started: no network connection is active";
    a_request_says_its_mode:
        requested(Trigger::ProjectUpdate, Network::Connected, true).to_string()
            => "project update sync requested (foreground)";

    a_mode_switch_during_a_sync_waits_for_the_running_sync:
        while_running(Trigger::ModeSwitch) => WhileRunning::ModeSwitchWaits;
    sync_pressed_during_a_sync_is_not_started_and_queues_nothing:
        while_running(Trigger::Manual).queues_follow_up() => false;
    the_down_arrow_during_a_sync_is_not_started:
        while_running(Trigger::ProjectUpdate) => WhileRunning::NotStarted { trigger: Trigger::ProjectUpdate };
    a_trigger_during_a_sync_says_a_sync_is_already_running:
        while_running(Trigger::Interval).to_string()
            => "interval sync not started: a sync is already running";

    a_saved_password_needs_save_password_on:
        credentials(false, true) => Credentials::PasswordNotSaved;
    save_password_on_with_no_stored_password_is_not_saved:
        credentials(true, false) => Credentials::PasswordNotSaved;
    save_password_on_with_a_stored_password_is_saved:
        credentials(true, true) => Credentials::Saved;

    a_password_typed_with_save_password_on_is_saved_on_the_device:
        keep_typed_password(true, false) => KeepPassword::OnDevice;
    a_password_typed_with_save_password_off_is_kept_for_this_session:
        keep_typed_password(false, false) => KeepPassword::ThisSession;
    a_password_typed_under_require_sync_login_serves_this_sync_only_even_with_save_password_on:
        keep_typed_password(true, true) => KeepPassword::ThisSync;

    no_password_held_is_none_typed:
        typed_password(None, true) => TypedPassword::None;
    a_password_typed_for_one_sync_serves_the_sync_about_to_start:
        typed_password(Some(KeepPassword::ThisSync), true) => TypedPassword::ForThisSync;
    a_password_kept_for_the_session_was_typed_earlier_this_session:
        typed_password(Some(KeepPassword::ThisSession), false) => TypedPassword::EarlierThisSession;
    a_password_kept_for_the_session_is_no_login_once_require_sync_login_is_on:
        typed_password(Some(KeepPassword::ThisSession), true) => TypedPassword::None;
    a_password_saved_on_the_device_is_not_a_typed_one:
        typed_password(Some(KeepPassword::OnDevice), false) => TypedPassword::None;
}

/// "Any automatic trigger during a sync queues a follow-up": every one of them, and only them.
#[test]
fn every_automatic_trigger_during_a_sync_queues_one_follow_up_and_no_other_does() {
    for trigger in [
        Trigger::OnStart,
        Trigger::Resume,
        Trigger::OnChange,
        Trigger::Interval,
        Trigger::Manual,
        Trigger::ProjectUpdate,
        Trigger::ModeSwitch,
    ] {
        assert_eq!(
            while_running(trigger).queues_follow_up(),
            trigger.is_automatic(),
            "{trigger}"
        );
    }
}

/// A password typed under Require Sync Login signs in the sync it was typed for, and that sync
/// only: the next one asks again.
#[test]
fn a_password_typed_under_require_sync_login_signs_in_one_sync() {
    let typed = typed_password(Some(KeepPassword::ThisSync), true);
    assert_eq!(
        sign_in(true, Credentials::Saved, typed, false),
        SignIn::TypedPassword
    );
    assert_eq!(keep_typed_password(true, true), KeepPassword::ThisSync);
    let after = typed_password(None, true);
    assert_eq!(
        sign_in(true, Credentials::Saved, after, false),
        SignIn::Ask {
            reason: LoginReason::SyncLoginRequired
        }
    );
}
