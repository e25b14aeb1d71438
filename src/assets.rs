//! The files shipped in `assets/`, embedded in the binary so it runs from anywhere, and the
//! seed-data and demo-user shapes they hold.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Deserialize;

use crate::file_error::{FileError, parse_toml};
use crate::project::Project;

pub const PROJECT_V1: (&str, &str) = (
    "assets/project-v1.toml",
    include_str!("../assets/project-v1.toml"),
);
pub const PROJECT_V2: (&str, &str) = (
    "assets/project-v2.toml",
    include_str!("../assets/project-v2.toml"),
);
pub const SEED: (&str, &str) = ("assets/seed.toml", include_str!("../assets/seed.toml"));
pub const USERS: (&str, &str) = ("assets/users.toml", include_str!("../assets/users.toml"));

/// Project v1, as published when the demo server is first seeded.
pub fn project_v1() -> Project {
    Project::parse(Path::new(PROJECT_V1.0), PROJECT_V1.1)
        .expect("assets/project-v1.toml is valid (tested)")
}

/// Project v2: adds a field to the account form and locks Auto Sync.
pub fn project_v2() -> Project {
    Project::parse(Path::new(PROJECT_V2.0), PROJECT_V2.1)
        .expect("assets/project-v2.toml is valid (tested)")
}

/// One seed record: its id and its field values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedRecord {
    pub entity: String,
    pub id: String,
    pub fields: BTreeMap<String, String>,
}

/// Parses seed data and checks every record against the project's entities and fields.
pub fn parse_seed(
    path: &Path,
    text: &str,
    project: &Project,
) -> Result<Vec<SeedRecord>, FileError> {
    let raw: BTreeMap<String, Vec<BTreeMap<String, toml::Spanned<String>>>> =
        parse_toml(path, text)?;
    let mut out = Vec::new();
    let mut ids = BTreeSet::new();
    for (entity_name, rows) in raw {
        let Some(entity) = project.entity(&entity_name) else {
            let offset = text.find(&format!("[[{entity_name}]]")).unwrap_or(0);
            return Err(FileError::at(
                path,
                text,
                offset,
                Some(entity_name.clone()),
                format!("the project has no entity `{entity_name}`"),
            ));
        };
        for mut row in rows {
            let Some(id) = row.remove("id") else {
                let offset = row.values().next().map_or(0, |v| v.span().start);
                return Err(FileError::at(
                    path,
                    text,
                    offset,
                    Some("id".into()),
                    format!("a `{entity_name}` record has no id"),
                ));
            };
            if !ids.insert((entity_name.clone(), id.get_ref().clone())) {
                return Err(FileError::at(
                    path,
                    text,
                    id.span().start,
                    Some("id".into()),
                    format!("id `{}` is used twice", id.get_ref()),
                ));
            }
            let mut fields = BTreeMap::new();
            for (name, value) in row {
                if entity.field(&name).is_none() {
                    return Err(FileError::at(
                        path,
                        text,
                        value.span().start,
                        Some(name.clone()),
                        format!("`{entity_name}` has no field `{name}`"),
                    ));
                }
                fields.insert(name, value.into_inner());
            }
            out.push(SeedRecord {
                entity: entity_name.clone(),
                id: id.into_inner(),
                fields,
            });
        }
    }
    Ok(out)
}

/// The shipped seed records.
pub fn seed(project: &Project) -> Vec<SeedRecord> {
    parse_seed(Path::new(SEED.0), SEED.1, project).expect("assets/seed.toml is valid (tested)")
}

/// A user of the demo server.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoUser {
    pub name: String,
    pub password: String,
    pub full_name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UsersFile {
    user: Vec<DemoUser>,
}

pub fn parse_users(path: &Path, text: &str) -> Result<Vec<DemoUser>, FileError> {
    Ok(parse_toml::<UsersFile>(path, text)?.user)
}

/// The shipped demo users (`demo`/`demo` among them).
pub fn users() -> Vec<DemoUser> {
    parse_users(Path::new(USERS.0), USERS.1).expect("assets/users.toml is valid (tested)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_assets_are_valid() {
        let v1 = project_v1();
        let v2 = project_v2();
        assert_eq!((v1.version, v2.version), (1, 2));
        let seed = seed(&v1);
        assert!(seed.iter().filter(|r| r.entity == "account").count() >= 200);
        assert!(seed.iter().filter(|r| r.entity == "contact").count() >= 200);
        assert!(
            users()
                .iter()
                .any(|u| u.name == "demo" && u.password == "demo")
        );
    }

    #[test]
    fn v2_adds_a_form_field_and_locks_a_setting() {
        let (v1, v2) = (project_v1(), project_v2());
        let fields = |p: &Project| {
            p.entity("account")
                .unwrap()
                .form_fields()
                .map(|f| f.name.clone())
                .collect::<Vec<_>>()
        };
        assert!(!fields(&v1).contains(&"industry".to_string()));
        assert!(fields(&v2).contains(&"industry".to_string()));
        assert!(v1.configuration.locked.is_empty());
        assert!(
            v2.configuration
                .is_locked(crate::settings::SettingKey::AutoSync)
        );
    }
}
