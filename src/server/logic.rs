//! The server's business logic: what runs on every write before it is stored, as a CRM's server
//! plug-ins do. It is why the record a client gets back can differ from the one it sent.
//!
//! The rules are keyed on field kinds and names, so they also apply to projects posted to
//! `/admin/publish`:
//! - a `phone` field is normalized (`5553504657` → `+1 555 350 4657`);
//! - a `number` or `money` field must hold a number (or be empty);
//! - an entity with `credit_limit` and `rating` gets its rating from its credit limit;
//! - an entity with a `modified_by` field gets the writing user in it.

use crate::project::{Entity, FieldKind};
use crate::wire::Fields;

/// Credit limits from which an account is rated Hot, and Warm.
const HOT_FROM: f64 = 100_000.0;
const WARM_FROM: f64 = 25_000.0;

/// Why a write's fields were refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogicError {
    UnknownField(String),
    Invalid { field: String, message: String },
}

/// Checks that every field exists on the entity (before anything is read or written).
pub fn check_names(entity: &Entity, fields: &Fields) -> Result<(), LogicError> {
    match fields.keys().find(|name| entity.field(name).is_none()) {
        Some(name) => Err(LogicError::UnknownField(name.clone())),
        None => Ok(()),
    }
}

/// Runs the business logic over a record's complete field values, in place.
pub fn apply(entity: &Entity, fields: &mut Fields, user: &str) -> Result<(), LogicError> {
    check_names(entity, fields)?;
    for (name, value) in fields.iter_mut() {
        let kind = entity.field(name).map(|f| f.kind).unwrap_or_default();
        match kind {
            FieldKind::Phone => {
                *value = normalize_phone(value).map_err(|message| invalid(name, message))?
            }
            FieldKind::Number | FieldKind::Money => {
                number(value).map_err(|message| invalid(name, message))?;
            }
            FieldKind::Text | FieldKind::Email | FieldKind::Lookup => {}
        }
    }
    if entity.field("credit_limit").is_some() && entity.field("rating").is_some() {
        let limit = fields.get("credit_limit").map(String::as_str).unwrap_or("");
        let rating = rating(number(limit).map_err(|message| invalid("credit_limit", message))?);
        fields.insert("rating".into(), rating.into());
    }
    if entity.field("modified_by").is_some() {
        fields.insert("modified_by".into(), user.into());
    }
    Ok(())
}

fn invalid(field: &str, message: String) -> LogicError {
    LogicError::Invalid {
        field: field.to_string(),
        message,
    }
}

/// An empty value is no number; anything else must parse as one.
fn number(value: &str) -> Result<Option<f64>, String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    match trimmed.parse::<f64>() {
        Ok(n) if n.is_finite() => Ok(Some(n)),
        _ => Err(format!("`{value}` is not a number")),
    }
}

/// Hot from 100,000, Warm from 25,000, else Cold; no credit limit, no rating.
fn rating(credit_limit: Option<f64>) -> &'static str {
    match credit_limit {
        None => "",
        Some(n) if n >= HOT_FROM => "Hot",
        Some(n) if n >= WARM_FROM => "Warm",
        Some(_) => "Cold",
    }
}

/// North American numbers (10 digits, or 11 starting with 1) in the seed's `+1 555 350 4657`
/// form; any other number as `+` and its digits.
pub fn normalize_phone(value: &str) -> Result<String, String> {
    if value.trim().is_empty() {
        return Ok(String::new());
    }
    let digits: String = value.chars().filter(char::is_ascii_digit).collect();
    let national = match digits.len() {
        11 if digits.starts_with('1') => &digits[1..],
        10 => &digits[..],
        0 => return Err(format!("`{value}` has no digits, so it is no phone number")),
        _ => return Ok(format!("+{digits}")),
    };
    Ok(format!(
        "+1 {} {} {}",
        &national[..3],
        &national[3..6],
        &national[6..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assets::project_v1;

    fn account_fields(pairs: &[(&str, &str)]) -> Fields {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn phones_take_the_seed_format() {
        assert_eq!(
            normalize_phone("(555) 350-4657").unwrap(),
            "+1 555 350 4657"
        );
        assert_eq!(
            normalize_phone("1-555-350-4657").unwrap(),
            "+1 555 350 4657"
        );
        assert_eq!(
            normalize_phone("+1 555 350 4657").unwrap(),
            "+1 555 350 4657"
        );
        assert_eq!(
            normalize_phone("+44 20 7946 0958").unwrap(),
            "+442079460958"
        );
        assert_eq!(normalize_phone("").unwrap(), "");
        assert!(normalize_phone("n/a").is_err());
    }

    #[test]
    fn rating_follows_credit_limit_at_the_thresholds() {
        let project = project_v1();
        let account = project.entity("account").unwrap();
        for (limit, expected) in [
            ("100000", "Hot"),
            ("99999", "Warm"),
            ("25000", "Warm"),
            ("24999.99", "Cold"),
            ("", ""),
        ] {
            let mut fields = account_fields(&[("credit_limit", limit), ("rating", "Hot")]);
            apply(account, &mut fields, "demo").unwrap();
            assert_eq!(fields["rating"], expected, "credit limit {limit}");
            assert_eq!(fields["modified_by"], "demo");
        }
    }

    /// The project model's list of what the server computes (the device's read-only fields) and
    /// what it rewrites (a replayed write may not match) is what this logic does.
    #[test]
    fn the_project_model_names_exactly_the_fields_this_logic_rewrites() {
        for project in [project_v1(), crate::assets::project_v2()] {
            for entity in &project.entities {
                let typed = |f: &crate::project::Field| match f.kind {
                    FieldKind::Phone => "5553504657",
                    FieldKind::Number | FieldKind::Money => "30000",
                    _ => "typed on the device",
                };
                let sent: Fields = entity
                    .fields
                    .iter()
                    .map(|f| (f.name.clone(), typed(f).to_string()))
                    .collect();
                let mut stored = sent.clone();
                apply(entity, &mut stored, "demo").unwrap();
                for field in &entity.fields {
                    assert_eq!(
                        stored[&field.name] != sent[&field.name],
                        field.rewritten_by_server(),
                        "{}.{}",
                        entity.name,
                        field.name
                    );
                }
            }
        }
    }

    #[test]
    fn bad_values_and_unknown_fields_are_named() {
        let project = project_v1();
        let account = project.entity("account").unwrap();
        let mut fields = account_fields(&[("credit_limit", "lots")]);
        assert!(
            matches!(apply(account, &mut fields, "demo"), Err(LogicError::Invalid { field, .. }) if field == "credit_limit")
        );
        let mut fields = account_fields(&[("colour", "red")]);
        assert_eq!(
            apply(account, &mut fields, "demo"),
            Err(LogicError::UnknownField("colour".into()))
        );
    }
}
