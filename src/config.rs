//! Program configuration: where data lives, which server to use, logging. Loaded from
//! `--config FILE`, else `<user config dir>/autosync/config.toml` when it exists, else defaults.
//! Command-line flags override the file. `config.example.toml` documents every key.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::file_error::{FileError, parse_toml};

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where the client profile and the embedded server's database live.
    pub data_dir: Option<PathBuf>,
    /// An external sync server; absent → the embedded demo server.
    pub server_url: Option<String>,
    /// The user a fresh profile signs in as.
    pub user_name: Option<String>,
    /// The TUI captures the mouse (click, wheel); `false` leaves the terminal's text selection.
    pub mouse: bool,
    pub server: ServerConfig,
    pub log: LogConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: None,
            server_url: None,
            user_name: None,
            mouse: true,
            server: ServerConfig::default(),
            log: LogConfig::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address `autosync server` listens on.
    pub listen: String,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: "127.0.0.1:8787".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// A tracing filter: error, warn, info, debug, trace, or per-module directives.
    pub level: String,
    /// Where the daily log files go; absent → the XDG state directory's `autosync/`.
    pub dir: Option<PathBuf>,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            level: "info".into(),
            dir: None,
        }
    }
}

impl Config {
    pub fn parse(path: &Path, text: &str) -> Result<Config, FileError> {
        let config: Config = parse_toml(path, text)?;
        if let Some(url) = &config.server_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            let offset = text.find("server_url").unwrap_or(0);
            return Err(FileError::at(
                path,
                text,
                offset,
                Some("server_url".into()),
                format!("`{url}` is not an http:// or https:// URL"),
            ));
        }
        Ok(config)
    }

    /// `explicit` (from `--config`) must exist; the per-user file is optional.
    pub fn load(explicit: Option<&Path>) -> Result<Config, FileError> {
        let path = match explicit {
            Some(p) => p.to_path_buf(),
            None => match default_config_path() {
                Some(p) if p.exists() => p,
                _ => return Ok(Config::default()),
            },
        };
        let text = std::fs::read_to_string(&path).map_err(|e| FileError::unreadable(&path, &e))?;
        Config::parse(&path, &text)
    }

    /// The data directory in force: the flag, else the file, else the user's data directory.
    pub fn data_dir(&self, flag: Option<&Path>) -> PathBuf {
        flag.map(Path::to_path_buf)
            .or_else(|| self.data_dir.clone())
            .or_else(|| dirs::data_dir().map(|d| d.join("autosync")))
            .unwrap_or_else(|| PathBuf::from(".autosync"))
    }
}

pub fn default_config_path() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("autosync").join("config.toml"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_config_is_valid_and_matches_defaults() {
        let text = include_str!("../config.example.toml");
        let parsed = Config::parse(Path::new("config.example.toml"), text).unwrap();
        let defaults = Config::default();
        assert_eq!(parsed.server, defaults.server);
        assert_eq!(parsed.log, defaults.log);
        assert_eq!(parsed.mouse, defaults.mouse);
    }
}
