//! Sync Errors: a resolution is an effect; the "what if" of a device delete.

use crate::app_common::T0;
use crate::app_common::fixture::*;
use autosync::app::{Action, Effect, EffectResult, Reloaded, ScreenKind};
use autosync::settings::AutoSync;
use autosync::store::{Conflict, ConflictKind, UserResolution};
use autosync::wire::Record;
use chrono::DateTime;

use super::*;

#[test]
fn a_conflict_resolution_is_an_effect_and_the_resolved_conflict_leaves() {
    let at = DateTime::parse_from_rfc3339(T0).unwrap().to_utc();
    let conflict = Conflict {
        id: 7,
        entity: "contact".into(),
        record_id: "con-0001".into(),
        kind: ConflictKind::ChangedOnBoth,
        device_changes: fields(&[("job_title", "Device Title")]),
        device_record: fields(&[("job_title", "Device Title")]),
        server: Some(Record {
            id: "con-0001".into(),
            etag: "s2".into(),
            fields: fields(&[("job_title", "Server Title")]),
            modified_on: at,
            modified_by: "backoffice".into(),
        }),
        detected_at: at,
        problem: None,
    };
    let mut app = fixture(AutoSync::OnStart, vec![conflict]);
    app.update(Action::OpenSyncErrors);
    app.update(Action::OpenConflict { conflict_id: 7 });
    assert_eq!(app.screen_kind(), ScreenKind::Conflict);
    let effects = app.update(Action::Resolve {
        conflict_id: 7,
        resolution: UserResolution::TakeServer,
    });
    assert_eq!(
        effects,
        vec![Effect::Resolve {
            conflict_id: 7,
            resolution: UserResolution::TakeServer
        }]
    );
    let effects = answer(
        &mut app,
        EffectResult::Resolved {
            resolution: UserResolution::TakeServer,
            outcome: Ok(()),
        },
    );
    assert_eq!(
        message(&app),
        "Take Server Version: the server's values are on the device"
    );
    let [Effect::Reload(reload)] = effects.as_slice() else {
        panic!("the conflicts are read again: {effects:?}");
    };
    assert!(reload.conflicts && reload.counts);
    answer(
        &mut app,
        EffectResult::Reloaded(Box::new(Reloaded {
            conflicts: Some(Ok(Vec::new())),
            ..Reloaded::default()
        })),
    );
    assert_eq!(
        app.screen_kind(),
        ScreenKind::SyncErrors,
        "the resolved conflict's detail closes"
    );
    assert!(app.conflicts().is_empty());
}
/// A device delete against a server edit under Sync Errors: its "what if" view says what each
/// strategy does with a delete, not with an edit.
#[test]
fn the_what_if_of_a_device_delete_is_per_strategy_for_a_delete() {
    use autosync::settings::ConflictStrategy;
    let at = DateTime::parse_from_rfc3339(T0).unwrap().to_utc();
    let server = fields(&[("name", "Alpine Ski House"), ("city", "Edited")]);
    let conflict = Conflict {
        id: 9,
        entity: "account".into(),
        record_id: "acc-0004".into(),
        kind: ConflictKind::DeletedOnDevice,
        device_changes: fields(&[]),
        device_record: fields(&[]),
        server: Some(Record {
            id: "acc-0004".into(),
            etag: "s9".into(),
            fields: server.clone(),
            modified_on: at,
            modified_by: "backoffice".into(),
        }),
        detected_at: at,
        problem: None,
    };
    let app = fixture(AutoSync::OnStart, vec![conflict]);
    let rows = app.what_if_rows(9);
    let by = |s: ConflictStrategy| rows.iter().find(|r| r.strategy == s).unwrap();
    assert_eq!(by(ConflictStrategy::ServerWins).result, Some(server));
    for s in [
        ConflictStrategy::DeviceWins,
        ConflictStrategy::DeviceWinsFull,
    ] {
        assert_eq!(by(s).result, None, "{s}: deleted on the server");
        assert!(
            by(s).note.contains("deleted on the server"),
            "{}",
            by(s).note
        );
    }
    assert!(
        by(ConflictStrategy::Manual).note.contains("Sync Errors"),
        "{}",
        by(ConflictStrategy::Manual).note
    );
}
