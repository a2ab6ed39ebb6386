//! The local store: SQLite on the device, every value sealed (AES-256-GCM) under a data key.
//! The data key is random, generated once, and kept only *wrapped* by the host's
//! [`KeySource`] (Android Keystore / iOS Keychain), so the database file alone reveals nothing.
//! A check value sealed at creation tells a wrong key from a tampered row.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension};

use crate::host::KeySource;
use zhelikit_domain::sealing::{random_key, SealingKey};

/// How the store failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StoreError {
    #[error("the storage key does not match the one this store was created with")]
    WrongKey,
    #[error("stored value {0:?} failed authentication (modified outside the SDK)")]
    Tampered(String),
    #[error("the key source failed: {0}")]
    KeySource(String),
    #[error("database: {0}")]
    Io(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Io(e.to_string())
    }
}

const KEY_CHECK_NAME: &str = "meta:key-check";
const KEY_CHECK_VALUE: &[u8] = b"zhelikit local store v1";

/// The device-side store.
pub(crate) struct LocalStore {
    conn: Mutex<Connection>,
    key: SealingKey,
}

impl LocalStore {
    /// Opens (creating if needed) `dir/zhelikit.db`, unwrapping its data key with `keys`.
    pub(crate) fn open(dir: &Path, keys: &dyn KeySource) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::Io(format!("cannot create {}: {e}", dir.display())))?;
        let conn = Connection::open(dir.join("zhelikit.db"))?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA busy_timeout = 5000;
             CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value BLOB NOT NULL);
             CREATE TABLE IF NOT EXISTS sealed (name TEXT PRIMARY KEY, value BLOB NOT NULL, updated_at INTEGER NOT NULL);",
        )?;
        let wrapped: Option<Vec<u8>> = conn
            .query_row(
                "SELECT value FROM meta WHERE name = 'wrapped-key'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        let key = match wrapped {
            Some(wrapped) => {
                let bytes = keys.unwrap_key(wrapped).map_err(|e| match e {
                    crate::host::KeySourceError::WrongKey { .. } => StoreError::WrongKey,
                    other => StoreError::KeySource(other.to_string()),
                })?;
                let key = SealingKey::new(&bytes).ok_or(StoreError::WrongKey)?;
                let check: Vec<u8> = conn.query_row(
                    "SELECT value FROM meta WHERE name = ?1",
                    [KEY_CHECK_NAME],
                    |r| r.get(0),
                )?;
                match key.open(KEY_CHECK_NAME, &check) {
                    Ok(v) if v == KEY_CHECK_VALUE => key,
                    _ => return Err(StoreError::WrongKey),
                }
            }
            None => {
                let bytes = random_key();
                let wrapped = keys
                    .wrap_key(bytes.clone())
                    .map_err(|e| StoreError::KeySource(e.to_string()))?;
                let key = SealingKey::new(&bytes)
                    .ok_or_else(|| StoreError::Io("generated key has the wrong length".into()))?;
                let check = key.seal(KEY_CHECK_NAME, KEY_CHECK_VALUE);
                let tx = conn.unchecked_transaction()?;
                tx.execute(
                    "INSERT INTO meta (name, value) VALUES ('wrapped-key', ?1)",
                    params![wrapped],
                )?;
                tx.execute(
                    "INSERT INTO meta (name, value) VALUES (?1, ?2)",
                    params![KEY_CHECK_NAME, check],
                )?;
                tx.commit()?;
                key
            }
        };
        Ok(Self {
            conn: Mutex::new(conn),
            key,
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite consistent (statements are atomic).
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Seals and stores `value` under `name`, replacing what was there.
    pub(crate) fn put(&self, name: &str, value: &[u8]) -> Result<(), StoreError> {
        let sealed = self.key.seal(name, value);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        self.conn().execute(
            "INSERT INTO sealed (name, value, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            params![name, sealed, now],
        )?;
        Ok(())
    }

    /// The value under `name`; a value that fails authentication is an error, never `None`.
    pub(crate) fn get(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let sealed: Option<Vec<u8>> = self
            .conn()
            .query_row("SELECT value FROM sealed WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()?;
        sealed
            .map(|s| {
                self.key
                    .open(name, &s)
                    .map_err(|_| StoreError::Tampered(name.to_string()))
            })
            .transpose()
    }

    /// Removes every row whose name starts with `prefix` (everything kept for one user).
    pub(crate) fn delete_prefix(&self, prefix: &str) -> Result<(), StoreError> {
        // substr rather than LIKE: a prefix may hold `_` or `%`.
        self.conn().execute(
            "DELETE FROM sealed WHERE substr(name, 1, length(?1)) = ?1",
            [prefix],
        )?;
        Ok(())
    }

    /// Removes `name`.
    pub(crate) fn delete(&self, name: &str) -> Result<(), StoreError> {
        self.conn()
            .execute("DELETE FROM sealed WHERE name = ?1", [name])?;
        Ok(())
    }
}

/// Deletes the store's files, for starting over after [`StoreError::WrongKey`].
pub(crate) fn destroy(dir: &Path) -> Result<(), StoreError> {
    for file in ["zhelikit.db", "zhelikit.db-wal", "zhelikit.db-shm"] {
        match std::fs::remove_file(dir.join(file)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(StoreError::Io(format!("cannot remove {file}: {e}"))),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_doubles::WrappingKeySource;

    fn temp_dir() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("zk-store-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn values_survive_reopening_with_the_same_key() {
        let dir = temp_dir();
        let keys = WrappingKeySource::new([7; 32]);
        LocalStore::open(&dir, &keys)
            .unwrap()
            .put("session", b"s1")
            .unwrap();
        let store = LocalStore::open(&dir, &keys).unwrap();
        assert_eq!(store.get("session").unwrap(), Some(b"s1".to_vec()));
        store.delete("session").unwrap();
        assert_eq!(store.get("session").unwrap(), None);
    }

    #[test]
    fn another_key_is_a_wrong_key() {
        let dir = temp_dir();
        LocalStore::open(&dir, &WrappingKeySource::new([1; 32]))
            .unwrap()
            .put("session", b"s1")
            .unwrap();
        let err = LocalStore::open(&dir, &WrappingKeySource::new([2; 32]))
            .err()
            .unwrap();
        assert!(matches!(err, StoreError::WrongKey), "{err}");
    }

    #[test]
    fn a_modified_or_moved_row_is_tampered() {
        let dir = temp_dir();
        let keys = WrappingKeySource::new([3; 32]);
        let store = LocalStore::open(&dir, &keys).unwrap();
        store.put("a", b"one").unwrap();
        store.put("b", b"two").unwrap();
        store.conn().execute("UPDATE sealed SET value = (SELECT value FROM sealed WHERE name = 'a') WHERE name = 'b'", []).unwrap();
        assert!(matches!(store.get("b"), Err(StoreError::Tampered(n)) if n == "b"));
        store.conn().execute("UPDATE sealed SET value = X'00112233445566778899AABBCCDDEEFF00112233445566778899' WHERE name = 'a'", []).unwrap();
        assert!(matches!(store.get("a"), Err(StoreError::Tampered(_))));
    }

    #[test]
    fn the_database_file_holds_no_value_in_clear() {
        let dir = temp_dir();
        let store = LocalStore::open(&dir, &WrappingKeySource::new([4; 32])).unwrap();
        store
            .put("session", b"zkr_very-secret-refresh-token")
            .unwrap();
        drop(store);
        let mut bytes = std::fs::read(dir.join("zhelikit.db")).unwrap();
        bytes.extend(std::fs::read(dir.join("zhelikit.db-wal")).unwrap_or_default());
        assert!(!bytes.windows(8).any(|w| w == b"zkr_very"));
    }
}
