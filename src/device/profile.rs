//! Where a device's profile lives in its data directory, and removing it for `--fresh`.

use std::path::Path;

/// The client profile's file in the data directory.
pub fn profile_path(data_dir: &Path) -> std::path::PathBuf {
    data_dir.join("client.db")
}

/// Removes a profile (database and its WAL files) for `--fresh`.
pub fn remove_profile(path: &Path) -> std::io::Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let file = std::path::PathBuf::from(format!("{}{suffix}", path.display()));
        match std::fs::remove_file(&file) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    Ok(())
}
