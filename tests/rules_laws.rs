//! Laws of the rules that hold for every input, checked with generated inputs.

use autosync::rules::*;
use autosync::settings::*;
use proptest::prelude::*;

fn behavior() -> impl Strategy<Value = BackgroundBehavior> {
    proptest::sample::select(BackgroundBehavior::ALL.to_vec())
}

fn phase() -> impl Strategy<Value = Phase> {
    proptest::sample::select(Phase::ALL.to_vec())
}

fn mode() -> impl Strategy<Value = SyncMode> {
    proptest::sample::select(vec![SyncMode::Background, SyncMode::Foreground])
}

fn activity() -> impl Strategy<Value = SyncActivity> {
    prop_oneof![
        Just(SyncActivity::Idle),
        (phase(), mode()).prop_map(|(phase, mode)| SyncActivity::Running { mode, phase }),
        (
            proptest::sample::select(vec![Phase::Upload, Phase::Download]),
            mode(),
            1u32..4
        )
            .prop_map(
                |(before, mode, held)| SyncActivity::WaitingForUiTransactions {
                    mode,
                    before,
                    held
                }
            ),
    ]
}

fn change() -> impl Strategy<Value = SettingChange> {
    prop_oneof![
        proptest::sample::select(AutoSync::ALL.to_vec()).prop_map(SettingChange::AutoSync),
        any::<bool>().prop_map(SettingChange::BackgroundSync),
        any::<bool>().prop_map(SettingChange::SavePassword),
        "[a-z]{1,8}".prop_map(|s| SettingChange::ServerUrl(format!("http://{s}"))),
        "[a-z]{1,8}".prop_map(SettingChange::UserName),
    ]
}

fn lockable() -> impl Strategy<Value = SettingKey> {
    proptest::sample::select(vec![
        SettingKey::AutoSync,
        SettingKey::BackgroundSync,
        SettingKey::SavePassword,
    ])
}

proptest! {
    #[test]
    fn no_sequence_of_user_actions_changes_a_locked_setting(
        locked in proptest::collection::btree_set(lockable(), 0..=3),
        changes in proptest::collection::vec(change(), 0..40),
        published in proptest::sample::select(AutoSync::ALL.to_vec()),
    ) {
        let config = ProjectConfig { locked: locked.clone(), trigger_auto_sync: published, ..ProjectConfig::default() };
        let start = UserSettings::from_project(&config, "http://x", "demo");
        let before = EffectiveSettings::resolve(&start, &config);
        let mut user = start;
        for c in changes {
            let key = c.key();
            match change_setting(&user, &config, c) {
                Ok(next) => {
                    prop_assert!(key.is_none_or(|k| !locked.contains(&k)));
                    user = next;
                }
                Err(SettingError::Locked(k)) => prop_assert!(locked.contains(&k)),
                // The generated URLs and names are valid: no other refusal may happen.
                Err(other) => prop_assert!(false, "refused: {other}"),
            }
            let now = EffectiveSettings::resolve(&user, &config);
            if locked.contains(&SettingKey::AutoSync) { prop_assert_eq!(now.auto_sync, before.auto_sync); }
            if locked.contains(&SettingKey::BackgroundSync) { prop_assert_eq!(now.background_sync, before.background_sync); }
            if locked.contains(&SettingKey::SavePassword) { prop_assert_eq!(now.save_password, before.save_password); }
        }
    }

    #[test]
    fn save_gate_never_refuses_outside_upload_and_download(b in behavior(), a in activity()) {
        let decision = save_gate(b, a);
        if let SaveDecision::Refuse { .. } = decision {
            let SyncActivity::Running { phase, .. } = a else {
                return Err(TestCaseError::fail(format!("refused with no sync in a phase: {a:?}")));
            };
            prop_assert!(matches!(phase, Phase::Upload | Phase::Download));
        }
    }

    #[test]
    fn background_save_is_refused_exactly_under_the_block_behaviors(b in behavior(), p in phase()) {
        let decision = save_gate(b, SyncActivity::Running { mode: SyncMode::Background, phase: p });
        prop_assert_eq!(!decision.is_allowed(), b.blocks_save() && p.is_entity_phase());
    }

    #[test]
    fn ui_transaction_sequences_never_underflow(
        ops in proptest::collection::vec((any::<bool>(), behavior(), activity()), 0..200)
    ) {
        let mut tx = UiTransactions::default();
        let mut model: u32 = 0;
        for (enter, b, a) in ops {
            if enter {
                if tx.try_enter(b, a).is_ok() { model += 1; }
            } else {
                match tx.leave() {
                    LeaveOutcome::NoneHeld => prop_assert_eq!(model, 0),
                    LeaveOutcome::Released { still_held } => { model -= 1; prop_assert_eq!(still_held, model); }
                }
            }
            prop_assert_eq!(tx.held(), model);
        }
    }

    #[test]
    fn try_enter_agrees_with_the_save_gate(b in behavior(), a in activity()) {
        let entered = UiTransactions::default().try_enter(b, a).is_ok();
        prop_assert_eq!(entered, save_gate(b, a).is_allowed());
    }
}
