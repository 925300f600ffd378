//! JSON state files under the data directory, written atomically (a
//! temporary file in the same directory, then a rename), so a crash of the
//! process mid-write leaves the previous state intact.

use std::fs;
use std::io::Write;
use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Reads the state at `path`; a missing file is a fresh start.
pub fn load<T: DeserializeOwned + Default>(path: &Path) -> anyhow::Result<T> {
    match fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| anyhow::anyhow!("unreadable demo state {}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(T::default()),
        Err(e) => Err(anyhow::anyhow!(
            "cannot read demo state {}: {e}",
            path.display()
        )),
    }
}

/// Replaces the state at `path` with `value`.
pub fn save<T: Serialize>(path: &Path, value: &T) -> std::io::Result<()> {
    let bytes = serde_json::to_vec(value).map_err(std::io::Error::other)?;
    write_private(path, &bytes)
}

/// Writes `bytes` to `path` atomically, readable by the owner only (the
/// files hold signing keys and grant records).
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    fs::create_dir_all(dir)?;
    let mut tmp = tempfile_in(dir)?;
    tmp.1.write_all(bytes)?;
    // No fsync: it costs milliseconds per token request, and losing the last
    // grants in a power cut only means logging in again at a demo provider.
    // The rename still means a reader never sees a half-written file.
    drop(tmp.1);
    fs::rename(&tmp.0, path)
}

fn tempfile_in(dir: &Path) -> std::io::Result<(std::path::PathBuf, fs::File)> {
    let name = format!(".tmp-{}", super::random_token("", 16));
    let path = dir.join(name);
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(&path)?;
    Ok((path, file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_state_loads_back_and_a_missing_file_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/state.json");
        let empty: Vec<u32> = load(&path).unwrap();
        assert!(empty.is_empty());
        save(&path, &vec![1u32, 2, 3]).unwrap();
        save(&path, &vec![4u32]).unwrap();
        let back: Vec<u32> = load(&path).unwrap();
        assert_eq!(back, vec![4]);
        // No temporary files are left behind.
        assert_eq!(fs::read_dir(path.parent().unwrap()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn state_files_are_private_to_the_owner() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        save(&path, &1u8).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
