//! App core, whether an action would do anything now (what the key bar and the help list):
//! the gates `update` applies, and actions answered "nothing to do here" or refused by a rule.

mod app_common;

use app_common::*;
use autosync::app::{Action, Refusal};
use autosync::rules::SwitchChoice;

fn answered(h: &Harness, action: Action) -> bool {
    matches!(h.app.refusal(&action), Some(Refusal::Answered(_)))
}

fn works(h: &Harness, action: Action) -> bool {
    h.app.refusal(&action).is_none()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moves_and_back_are_refused_where_they_would_not_move() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    assert!(
        answered(&h, Action::Back),
        "nothing to go back from on Home"
    );
    assert!(answered(&h, Action::OpenHome), "already Home");
    assert!(answered(&h, Action::Up), "the top item cannot move up");
    assert!(works(&h, Action::Down));
    assert!(answered(&h, Action::NextField), "Home has no fields");
    h.act(Action::OpenServerPanel).await;
    assert!(works(&h, Action::Back));
    assert!(answered(&h, Action::OpenServerPanel), "already there");
    assert!(works(&h, Action::Help) && works(&h, Action::Quit));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_offers_save_and_cancel_only_with_edits() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    h.open_record("account", "acc-0001").await;
    assert!(answered(&h, Action::Save), "nothing to save");
    assert!(answered(&h, Action::CancelForm), "nothing to cancel");
    assert!(works(&h, Action::BeginEdit), "Account Name is editable");
    h.edit("city", "Oslo").await;
    assert!(works(&h, Action::Save) && works(&h, Action::CancelForm));
    // Rating is computed by the server: the form shows it, Enter does not edit it.
    let rating = h
        .app
        .top_form()
        .unwrap()
        .fields
        .iter()
        .position(|f| f.name == "rating")
        .unwrap();
    for _ in 0..rating {
        h.act(Action::Down).await;
    }
    assert!(answered(&h, Action::BeginEdit));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warn_user_must_sync_refuses_the_button_it_does_not_show() {
    let toml = project_with(
        "sync_before_online = \"NoAction\"",
        "sync_before_online = \"WarnUserMustSync\"",
    );
    let mut h = Harness::with_project(Some(&toml), Prep::SyncedQuiet).await;
    h.act(Action::SwitchMode).await;
    assert!(answered(
        &h,
        Action::AnswerDialog(SwitchChoice::SwitchWithoutSync)
    ));
    assert!(works(
        &h,
        Action::AnswerDialog(SwitchChoice::SyncThenSwitch)
    ));
    assert!(works(&h, Action::AnswerDialog(SwitchChoice::Cancel)));
    assert!(
        matches!(h.app.refusal(&Action::OpenSetup), Some(Refusal::Gate(_))),
        "a dialog waits"
    );
    assert!(works(&h, Action::ToggleNetwork), "demo controls still work");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_controls_are_refused_without_a_control_api() {
    let h = Harness::external(Prep::SyncedQuiet).await;
    assert!(answered(&h, Action::PublishV2));
    let h = Harness::new(Prep::SyncedQuiet).await;
    assert!(works(&h, Action::PublishV2));
    assert!(
        answered(&h, Action::ServerEditOpenRecord),
        "no record was opened yet"
    );
}
