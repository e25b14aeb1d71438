//! Signing a synchronization in: with the saved password, with one the user typed on the sync
//! screen, or not without the user — and then why, in the reference's words: "Password is not
//! saved", "Sync login is required".

use std::fmt;

use serde::{Deserialize, Serialize};

use super::Credentials;

/// Why a synchronization cannot sign in without the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LoginReason {
    /// "Sync login is required": Require Sync Login = true, so the user logs in at each sync,
    /// whether a password is saved or not.
    SyncLoginRequired,
    /// "Password is not saved".
    PasswordNotSaved,
    /// The server rejected the password the last sync signed in with.
    PasswordRejected,
}

impl fmt::Display for LoginReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LoginReason::SyncLoginRequired => "sync login is required (Require Sync Login)",
            LoginReason::PasswordNotSaved => "password is not saved",
            LoginReason::PasswordRejected => "the server rejected the password",
        })
    }
}

/// A password the user typed on the sync screen, if any, and what it was typed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TypedPassword {
    None,
    /// Typed earlier in this session (Save password off keeps it in memory).
    EarlierThisSession,
    /// Typed on the sync screen for the sync about to start.
    ForThisSync,
}

/// What a synchronization signs in with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SignIn {
    SavedPassword,
    TypedPassword,
    /// The sync screen asks for the password.
    Ask {
        reason: LoginReason,
    },
}

/// "Require Sync Login: true means the user must log in at each sync" (domain notes): only a
/// password typed for this very sync will do, saved or not. Otherwise the saved password, or
/// one typed earlier this session. A password the server rejected is asked for again.
pub fn sign_in(
    require_sync_login: bool,
    credentials: Credentials,
    typed: TypedPassword,
    rejected: bool,
) -> SignIn {
    let ask = |reason| SignIn::Ask { reason };
    match (require_sync_login, credentials, typed) {
        (_, _, TypedPassword::ForThisSync) => SignIn::TypedPassword,
        _ if rejected => ask(LoginReason::PasswordRejected),
        (true, _, _) => ask(LoginReason::SyncLoginRequired),
        (false, Credentials::Saved, _) => SignIn::SavedPassword,
        (false, Credentials::PasswordNotSaved, TypedPassword::EarlierThisSession) => {
            SignIn::TypedPassword
        }
        (false, Credentials::PasswordNotSaved, TypedPassword::None) => {
            ask(LoginReason::PasswordNotSaved)
        }
    }
}

/// "Password is not saved" unless Save password is on and a password is stored on the device.
pub fn credentials(save_password: bool, password_stored: bool) -> Credentials {
    if save_password && password_stored {
        Credentials::Saved
    } else {
        Credentials::PasswordNotSaved
    }
}

/// Where a password the user types on the sync screen is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KeepPassword {
    /// Save password on: saved on the device for every later sync.
    OnDevice,
    /// Save password off: in memory for this session, never on the device.
    ThisSession,
    /// Require Sync Login: for the one sync it was typed for, then forgotten.
    ThisSync,
}

impl KeepPassword {
    /// What is kept of a typed password once a sync has signed in with it: under Require Sync
    /// Login, nothing — it served the sync it was typed for.
    pub fn after_sign_in(self) -> Option<KeepPassword> {
        match self {
            KeepPassword::ThisSync => None,
            kept => Some(kept),
        }
    }
}

/// "Require Sync Login: true means the user must log in at each sync": a password typed under it
/// serves one sync and is never kept. Otherwise Save password decides whether it is saved.
pub fn keep_typed_password(save_password: bool, require_sync_login: bool) -> KeepPassword {
    match (require_sync_login, save_password) {
        (true, _) => KeepPassword::ThisSync,
        (false, true) => KeepPassword::OnDevice,
        (false, false) => KeepPassword::ThisSession,
    }
}

/// What a typed password, kept as `kept`, is for the sync about to start: one typed for a sync
/// serves it; one kept for the session serves only while Require Sync Login is off ("must log
/// in at each sync" — a session's password typed before an administrator turned it on does not
/// count as that login); none kept, or one saved on the device, is no typed password.
pub fn typed_password(kept: Option<KeepPassword>, require_sync_login: bool) -> TypedPassword {
    match (kept, require_sync_login) {
        (Some(KeepPassword::ThisSync), _) => TypedPassword::ForThisSync,
        (Some(KeepPassword::ThisSession), false) => TypedPassword::EarlierThisSession,
        _ => TypedPassword::None,
    }
}
