//! Reading input with a bound on its size, whatever it arrives through.
//!
//! A regular file's size is checked before it is read. Standard input, devices and FIFOs have no
//! size to check, so they are read in pieces and refused as soon as they pass the limit: `yes |
//! parley check -` and `parley check /dev/zero` stop at the limit instead of growing without end.

use std::io::Read;
use std::path::Path;

use parley_core::scenario::MAX_SCENARIO_BYTES;

use crate::ServiceError;

/// The most bytes read from any one input: a scenario file, standard input, or a GENIUS file.
pub const MAX_INPUT_BYTES: usize = MAX_SCENARIO_BYTES;

/// The bytes of a file, or of standard input for `-`, refused past [`MAX_INPUT_BYTES`].
pub fn read_bytes(path: &Path) -> Result<Vec<u8>, ServiceError> {
    if path == Path::new("-") {
        // A failure to read standard input is the environment's, not the input's (exit 1).
        return read_bounded(&mut std::io::stdin().lock(), "standard input")?
            .map_err(|source| ServiceError::Io { context: "reading standard input".to_owned(), source });
    }
    let cannot = |error: std::io::Error| ServiceError::BadInput(format!("cannot read {}: {error}", path.display()));
    let metadata = std::fs::metadata(path).map_err(cannot)?;
    if metadata.is_file() && metadata.len() > MAX_INPUT_BYTES as u64 {
        return Err(too_large(&path.display().to_string(), &format!("it has {} bytes", metadata.len())));
    }
    let mut file = std::fs::File::open(path).map_err(cannot)?;
    read_bounded(&mut file, &path.display().to_string())?.map_err(cannot)
}

/// Reads at most [`MAX_INPUT_BYTES`] (in pieces, so that memory grows only with what arrived): an
/// input over the limit is the outer error, a failure to read the inner one.
fn read_bounded(reader: &mut dyn Read, name: &str) -> Result<std::io::Result<Vec<u8>>, ServiceError> {
    let mut bytes = Vec::new();
    let mut piece = vec![0u8; 1 << 16];
    loop {
        let read = match reader.read(&mut piece) {
            Ok(0) => return Ok(Ok(bytes)),
            Ok(read) => read,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => return Ok(Err(error)),
        };
        if bytes.len() + read > MAX_INPUT_BYTES {
            return Err(too_large(name, "it was refused once that much had arrived"));
        }
        if bytes.len() + read > bytes.capacity() {
            // Grow by a quarter, not by doubling, so that a stream just under the limit does not
            // reserve twice the limit.
            bytes.reserve((bytes.len() / 4).max(read));
        }
        bytes.extend_from_slice(&piece[..read]);
    }
}

fn too_large(name: &str, detail: &str) -> ServiceError {
    ServiceError::BadInput(format!(
        "{name} is larger than {MAX_INPUT_BYTES} bytes (256 MiB), the most parley reads from one input; {detail} (docs/cli.md, Limits)"
    ))
}
