//! Secrets given in settings or generated once and kept in the data directory: the JWT signing
//! secret and the key that encrypts connections' API keys.

use std::{io::Write, path::Path};

use rand::RngCore;

use super::{Secret, Settings};

/// Fills `settings.jwt_secret` from `<data_dir>/jwt_secret`, creating that file (mode 0600) with 64
/// random bytes the first time. There is no built-in default secret.
pub fn resolve_jwt_secret(settings: &mut Settings) -> std::io::Result<()> {
    if settings.jwt_secret.is_some() {
        return Ok(());
    }
    std::fs::create_dir_all(&settings.data_dir)?;
    settings.jwt_secret = Some(read_or_create(&settings.data_dir.join("jwt_secret"), "this logs everyone out")?);
    Ok(())
}

/// Fills `settings.connection_key` from `<data_dir>/connection_key`, created like the JWT secret.
pub fn resolve_connection_key(settings: &mut Settings) -> std::io::Result<()> {
    if settings.connection_key.is_some() {
        return Ok(());
    }
    std::fs::create_dir_all(&settings.data_dir)?;
    let path = settings.data_dir.join("connection_key");
    settings.connection_key = Some(read_or_create(&path, "saved connection keys must then be entered again")?);
    Ok(())
}

fn read_or_create(path: &Path, consequence: &str) -> std::io::Result<Secret> {
    match std::fs::read_to_string(path) {
        Ok(s) if s.trim().len() >= 32 => return Ok(Secret::new(s.trim())),
        Ok(_) => {
            return Err(std::io::Error::other(format!(
                "{} is shorter than 32 characters; delete it to generate a new one ({consequence})",
                path.display()
            )));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let mut bytes = [0u8; 64];
    rand::rng().fill_bytes(&mut bytes);
    let secret = hex::encode(bytes);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    match opts.open(path) {
        Ok(mut f) => {
            f.write_all(secret.as_bytes())?;
            f.sync_all()?;
            Ok(Secret::new(secret))
        }
        // Another process (server and admin command started together) won the race: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read_or_create(path, consequence),
        Err(e) => Err(e),
    }
}
