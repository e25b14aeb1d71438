//! The project a Woodford administrator publishes: its version, its Configuration (with locks),
//! and its entities with fields, forms and On Conflict strategies. Loaded from TOML files
//! (`assets/project-v*.toml`) and sent to devices as JSON.

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::file_error::{FileError, parse_toml};
use crate::settings::{ConflictStrategy, ProjectConfig};

/// One published project version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Project {
    pub version: u32,
    pub name: String,
    pub configuration: ProjectConfig,
    pub entities: Vec<Entity>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entity {
    /// Logical name, used in URLs (`account`).
    pub name: String,
    /// Plural display name (`Accounts`).
    pub label: String,
    /// The field shown in lists and searched by name.
    pub primary_field: String,
    pub on_conflict: ConflictStrategy,
    pub fields: Vec<Field>,
    pub form: Form,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    pub name: String,
    pub label: String,
    pub kind: FieldKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    #[default]
    Text,
    Phone,
    Email,
    Number,
    Money,
    /// The id of a record of another entity (e.g. a contact's parent account).
    Lookup,
}

/// A form's layout: sections of fields, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Form {
    pub sections: Vec<FormSection>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormSection {
    pub title: String,
    pub fields: Vec<String>,
}

/// The fields the server's business logic sets on every write, whatever the device sent
/// (`src/server/logic.rs`): the writing user, and the rating it computes from the credit limit.
/// The device shows them and never edits them.
pub const SERVER_COMPUTED_FIELDS: [&str; 2] = ["modified_by", "rating"];

/// The server sets this field itself ([`SERVER_COMPUTED_FIELDS`]).
pub fn computed_by_server(name: &str) -> bool {
    SERVER_COMPUTED_FIELDS.contains(&name)
}

impl Field {
    /// The server may store another value than the device sent: it computes the field, or it
    /// normalizes what the user typed (a phone number, `5553504657` → `+1 555 350 4657`).
    pub fn rewritten_by_server(&self) -> bool {
        computed_by_server(&self.name) || self.kind == FieldKind::Phone
    }
}

impl Project {
    pub fn entity(&self, name: &str) -> Option<&Entity> {
        self.entities.iter().find(|e| e.name == name)
    }

    /// Reads and validates a project file.
    pub fn load(path: &Path) -> Result<Project, FileError> {
        let text = std::fs::read_to_string(path).map_err(|e| FileError::unreadable(path, &e))?;
        Project::parse(path, &text)
    }

    /// Parses and validates project TOML; `path` is only used in error messages.
    pub fn parse(path: &Path, text: &str) -> Result<Project, FileError> {
        let file: ProjectFile = parse_toml(path, text)?;
        file.validate(path, text)
    }
}

impl Entity {
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The field a new record must have a value for, when `values` lack it: the primary field,
    /// which lists show and search by (*interpretation*: the project format has no other
    /// required-field mark, and a record without it could not be found in a list).
    pub fn missing_required(&self, values: &crate::wire::Fields) -> Option<&Field> {
        let empty = values
            .get(&self.primary_field)
            .is_none_or(|v| v.trim().is_empty());
        empty.then(|| self.field(&self.primary_field)).flatten()
    }

    /// The fields in the order the form shows them.
    pub fn form_fields(&self) -> impl Iterator<Item = &Field> {
        self.form
            .sections
            .iter()
            .flat_map(|s| s.fields.iter())
            .filter_map(|n| self.field(n))
    }
}

/// The project as a project file (`assets/project-v*.toml`'s shape): what `POST /admin/publish`
/// takes as `application/toml`. [`Project::parse`] reads it back to the same project.
pub fn project_toml(project: &Project) -> String {
    // Every value of a project serializes: names, labels, enums, numbers and arrays of them.
    toml::to_string(&ProjectFile::from(project)).expect("a project is representable as TOML")
}

// The file shapes, read and written: they keep the positions of names so validation errors
// can point at them (a written file has none to keep).

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProjectFile {
    version: Spanned<u32>,
    name: String,
    #[serde(default)]
    configuration: ProjectConfig,
    #[serde(rename = "entity")]
    entities: Vec<EntityFile>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntityFile {
    name: Spanned<String>,
    label: String,
    primary_field: Spanned<String>,
    #[serde(default)]
    on_conflict: ConflictStrategy,
    #[serde(rename = "field")]
    fields: Vec<FieldFile>,
    form: FormFile,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FieldFile {
    name: Spanned<String>,
    label: String,
    #[serde(default)]
    kind: FieldKind,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FormFile {
    #[serde(rename = "section")]
    sections: Vec<SectionFile>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SectionFile {
    title: String,
    fields: Vec<Spanned<String>>,
}

/// A name written to a file: no position in any text.
fn unplaced<T>(value: T) -> Spanned<T> {
    Spanned::new(0..0, value)
}

impl From<&Project> for ProjectFile {
    fn from(project: &Project) -> ProjectFile {
        ProjectFile {
            version: unplaced(project.version),
            name: project.name.clone(),
            configuration: project.configuration.clone(),
            entities: project.entities.iter().map(EntityFile::from).collect(),
        }
    }
}

impl From<&Entity> for EntityFile {
    fn from(e: &Entity) -> EntityFile {
        EntityFile {
            name: unplaced(e.name.clone()),
            label: e.label.clone(),
            primary_field: unplaced(e.primary_field.clone()),
            on_conflict: e.on_conflict,
            fields: e
                .fields
                .iter()
                .map(|f| FieldFile {
                    name: unplaced(f.name.clone()),
                    label: f.label.clone(),
                    kind: f.kind,
                })
                .collect(),
            form: FormFile {
                sections: e
                    .form
                    .sections
                    .iter()
                    .map(|s| SectionFile {
                        title: s.title.clone(),
                        fields: s.fields.iter().cloned().map(unplaced).collect(),
                    })
                    .collect(),
            },
        }
    }
}

fn err_at<T>(path: &Path, text: &str, at: &Spanned<T>, field: &str, message: String) -> FileError {
    FileError::at(
        path,
        text,
        at.span().start,
        Some(field.to_string()),
        message,
    )
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl ProjectFile {
    fn validate(self, path: &Path, text: &str) -> Result<Project, FileError> {
        if *self.version.get_ref() == 0 {
            return Err(err_at(
                path,
                text,
                &self.version,
                "version",
                "the version must be 1 or more".into(),
            ));
        }
        if self.entities.is_empty() {
            return Err(FileError::at(
                path,
                text,
                0,
                Some("entity".into()),
                "a project needs at least one [[entity]]".into(),
            ));
        }
        let mut entity_names = BTreeSet::new();
        let mut entities = Vec::new();
        for e in self.entities {
            let ename = e.name.get_ref().clone();
            if !valid_name(&ename) {
                return Err(err_at(
                    path,
                    text,
                    &e.name,
                    "name",
                    format!("entity name `{ename}` must be lower-case letters, digits and _"),
                ));
            }
            if !entity_names.insert(ename.clone()) {
                return Err(err_at(
                    path,
                    text,
                    &e.name,
                    "name",
                    format!("entity `{ename}` is defined twice"),
                ));
            }
            let mut field_names = BTreeSet::new();
            let mut fields = Vec::new();
            for f in e.fields {
                let fname = f.name.get_ref().clone();
                if !valid_name(&fname) || fname == "id" {
                    return Err(err_at(
                        path,
                        text,
                        &f.name,
                        "name",
                        format!(
                            "field name `{fname}` must be lower-case letters, digits and _ (and not `id`)"
                        ),
                    ));
                }
                if !field_names.insert(fname.clone()) {
                    return Err(err_at(
                        path,
                        text,
                        &f.name,
                        "name",
                        format!("field `{fname}` is defined twice in entity `{ename}`"),
                    ));
                }
                fields.push(Field {
                    name: fname,
                    label: f.label,
                    kind: f.kind,
                });
            }
            if !field_names.contains(e.primary_field.get_ref()) {
                return Err(err_at(
                    path,
                    text,
                    &e.primary_field,
                    "primary_field",
                    format!(
                        "entity `{ename}` has no field `{}`",
                        e.primary_field.get_ref()
                    ),
                ));
            }
            let mut sections = Vec::new();
            for s in e.form.sections {
                let mut names = Vec::new();
                for n in s.fields {
                    if !field_names.contains(n.get_ref()) {
                        return Err(err_at(
                            path,
                            text,
                            &n,
                            "fields",
                            format!(
                                "the form of `{ename}` shows `{}`, which is not a field of `{ename}`",
                                n.get_ref()
                            ),
                        ));
                    }
                    names.push(n.into_inner());
                }
                sections.push(FormSection {
                    title: s.title,
                    fields: names,
                });
            }
            entities.push(Entity {
                name: ename,
                label: e.label,
                primary_field: e.primary_field.into_inner(),
                on_conflict: e.on_conflict,
                fields,
                form: Form { sections },
            });
        }
        Ok(Project {
            version: self.version.into_inner(),
            name: self.name,
            configuration: self.configuration,
            entities,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_project_reads_back_from_its_toml() {
        for project in [crate::assets::project_v1(), crate::assets::project_v2()] {
            let text = project_toml(&project);
            let back = Project::parse(Path::new("out"), &text).unwrap();
            assert_eq!(back, project);
        }
    }
}
