//! Writing an output file (`-o`, `--trace`) without damaging what is there.
//!
//! A regular file (or a new one) is replaced atomically: written to a temporary sibling, synced, and
//! renamed over it, keeping its permissions, so a crash never leaves half a file. Anything else is
//! respected: a symbolic link is written through (the file it points to is replaced, the link
//! stays a link), a device, FIFO or socket is written directly (so `-o /dev/null` stays a device and
//! `-o /dev/full` reports the full device), and a directory is refused.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::BadInput;

/// Writes `bytes` to `path` as the module documentation describes.
pub fn write_output(path: &Path, bytes: &[u8]) -> Result<()> {
    write_outputs(&[(path, bytes)])
}

/// Writes several files (at distinct paths), each as [`write_output`] does; the regular ones are
/// all written and synced before any is renamed into place, and each directory is synced once
/// after the renames (one sync of the directory instead of one per file). On an error before the
/// renames nothing is replaced.
pub fn write_outputs(files: &[(&Path, &[u8])]) -> Result<()> {
    // Each staged file with the path it was given as (for messages).
    let mut staged: Vec<(&Path, Staged)> = Vec::new();
    let result = (|| -> Result<()> {
        for &(path, bytes) in files {
            let target = resolve_links(path)?;
            match std::fs::metadata(&target) {
                Ok(metadata) if metadata.is_dir() => {
                    return Err(BadInput(format!("{} is a directory (expected a file to write)", path.display())).into());
                }
                Ok(metadata) if !metadata.is_file() => {
                    // A device, FIFO or socket: write into it, never replace it.
                    let mut file = std::fs::OpenOptions::new()
                        .write(true)
                        .open(&target)
                        .map_err(|error| anyhow::Error::new(error).context(format!("opening {}", path.display())))?;
                    file.write_all(bytes)
                        .and_then(|()| file.flush())
                        .map_err(|error| anyhow::Error::new(error).context(format!("writing {}", path.display())))?;
                }
                _ => staged.push((path, stage(&target, bytes).map_err(|error| error.context(format!("writing {}", path.display())))?)),
            }
        }
        Ok(())
    })();
    if let Err(error) = result {
        for (_, file) in &staged {
            let _ = std::fs::remove_file(&file.temporary);
        }
        return Err(error);
    }
    let mut directories: Vec<PathBuf> = Vec::new();
    let mut staged = staged.into_iter();
    while let Some((path, file)) = staged.next() {
        if let Err(error) = std::fs::rename(&file.temporary, &file.path) {
            for (_, file) in std::iter::once((path, file)).chain(staged) {
                let _ = std::fs::remove_file(&file.temporary);
            }
            return Err(anyhow::Error::new(error).context(format!("writing {}", path.display())));
        }
        if !directories.contains(&file.directory) {
            directories.push(file.directory);
        }
    }
    // The renames are durable once their directories are synced. The files are in place either
    // way, so a failure here is not reported as a failure to write them.
    #[cfg(unix)]
    for directory in directories {
        if let Ok(directory) = std::fs::File::open(directory) {
            let _ = directory.sync_all();
        }
    }
    Ok(())
}

/// The file a path names after following symbolic links (at most 40, as the kernel allows), even
/// when the last link dangles (its target is then created).
fn resolve_links(path: &Path) -> Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&current) {
            Ok(metadata) if metadata.file_type().is_symlink() => {
                let link = std::fs::read_link(&current)?;
                current = match current.parent() {
                    Some(parent) if link.is_relative() => parent.join(link),
                    _ => link,
                };
            }
            _ => return Ok(current),
        }
    }
    Err(BadInput(format!("{}: too many levels of symbolic links", path.display())).into())
}

/// A regular file written and synced under a temporary sibling name, to be renamed over `path`.
struct Staged {
    path: PathBuf,
    temporary: PathBuf,
    directory: PathBuf,
}

/// Writes a regular file's new content to a temporary sibling and syncs it. A file it replaces
/// keeps its permissions (an export of a confidential record stays as private as the file it
/// overwrites).
fn stage(path: &Path, bytes: &[u8]) -> Result<Staged> {
    let directory = path.parent().filter(|parent| !parent.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let temporary =
        directory.join(format!(".{}.tmp-{}", path.file_name().map_or("output".into(), |name| name.to_string_lossy()), std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let existing = match std::fs::metadata(path) {
            Ok(metadata) => Some(metadata.permissions()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
            Err(error) => return Err(error),
        };
        // A new file (never one already there, nor a link planted under the temporary name), with
        // the replaced file's permissions from its creation, so that it is never more readable.
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        if let Some(permissions) = &existing {
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, std::os::unix::fs::PermissionsExt::mode(permissions) & 0o7777);
        }
        let mut file = options.open(&temporary)?;
        if let Some(permissions) = existing {
            // The umask may have removed bits the replaced file had.
            file.set_permissions(permissions)?;
        }
        file.write_all(bytes)?;
        file.sync_all()
    })();
    if let Err(error) = result {
        let _ = std::fs::remove_file(&temporary);
        return Err(anyhow::Error::new(error));
    }
    Ok(Staged { path: path.to_path_buf(), temporary, directory: directory.to_path_buf() })
}
