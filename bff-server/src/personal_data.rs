//! Personal data's keys and owners, in one place (可用不可见): the keys the BFF seals ID numbers,
//! cached department records and refresh-token successors with, the keyed pseudonyms that
//! stand in for ID numbers in cache keys and subjects, and whose row an ID number belongs to.
//! Identity, the departments and the screens all use it; it uses none of them.

use sha2::Sha256;
use zhelikit_domain::api::UserKind;
use zhelikit_domain::sealing::SealingKey;

/// The BFF's keys for personal data, generated at first start and kept in storage (the same on
/// every instance). One key per purpose, so that no two uses can be linked or confused: the
/// legal-person subject key (as stored, since subjects must stay stable), and keys derived from
/// the stored masters (HMAC-SHA256 of the purpose) for department cache pseudonyms, for sealing
/// cached department records, and for sealing refresh-token successors. ID numbers are sealed
/// with the stored sealing key, bound to their owner.
#[derive(Clone)]
pub struct PersonalDataKeys {
    subjects: Vec<u8>,
    cache_pseudonyms: [u8; 32],
    passkey_decoys: [u8; 32],
    analytics_visitors: [u8; 32],
    id_numbers: SealingKey,
    cache_records: SealingKey,
    refresh_successors: SealingKey,
    form_answers: SealingKey,
}

/// Prefix of the associated data ID numbers are sealed under; the owner follows it.
const ID_NUMBER_FIELD: &str = "users.id_number";

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    use hmac::Mac as _;
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = match hmac::Hmac::<Sha256>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes any key length"),
    };
    mac.update(data);
    mac.finalize().into_bytes().into()
}

impl PersonalDataKeys {
    /// Keys from their stored bytes; the sealing key must be 32 bytes.
    pub fn new(pseudonym: Vec<u8>, sealing: &[u8]) -> Option<Self> {
        let derived = |purpose: &str| SealingKey::new(&hmac(sealing, purpose.as_bytes()));
        Some(Self {
            cache_pseudonyms: hmac(&pseudonym, b"zhelikit/department-cache-keys"),
            passkey_decoys: hmac(&pseudonym, b"zhelikit/passkey-decoys"),
            analytics_visitors: hmac(&pseudonym, b"zhelikit/analytics-visitors"),
            subjects: pseudonym,
            id_numbers: SealingKey::new(sealing)?,
            cache_records: derived("zhelikit/department-cache-records")?,
            refresh_successors: derived("zhelikit/refresh-successors")?,
            form_answers: derived("zhelikit/form-answers")?,
        })
    }

    /// A keyed, truncated hash of `value` for cache keys and coalescing: stable, and not
    /// reversible by enumerating the (small) space of ID numbers without the key.
    pub fn pseudonym(&self, value: &str) -> String {
        hex::encode(&hmac(&self.cache_pseudonyms, value.as_bytes())[..12])
    }

    /// The keyed pseudonym of an acting person inside a legal-person subject (another key than
    /// [`Self::pseudonym`], so a subject cannot be matched with cache keys).
    pub fn subject_pseudonym(&self, value: &str) -> String {
        hex::encode(&hmac(&self.subjects, value.as_bytes())[..12])
    }

    /// The analytics pseudonym of user `user_id` on `day` in `mini_app_id`: counts a visitor
    /// once a day, and cannot be linked to the user, to their other days or to another
    /// mini-app without the key.
    pub fn visitor_pseudonym(&self, mini_app_id: &str, day: &str, user_id: &str) -> String {
        let message = format!("{mini_app_id}\n{day}\n{user_id}");
        hex::encode(&hmac(&self.analytics_visitors, message.as_bytes())[..12])
    }

    /// A credential id for a user id that has no passkey, the same every time it is asked
    /// for: passkey login answers such users as it answers users with passkeys.
    pub fn decoy_credential_id(&self, user_id: &str) -> Vec<u8> {
        // 32 bytes, the length of the credential ids the common authenticators hand out.
        hmac(&self.passkey_decoys, user_id.as_bytes()).to_vec()
    }

    /// Seals an ID number for storage in `owner`'s row (`kind:subject`): a blob moved to
    /// another user's row no longer opens.
    pub fn seal_id_number(&self, owner: &str, id_number: &str) -> Vec<u8> {
        self.id_numbers
            .seal(&format!("{ID_NUMBER_FIELD}:{owner}"), id_number.as_bytes())
    }

    /// Opens `owner`'s sealed ID number; `None` if it was not sealed under this key for them.
    pub fn open_id_number(&self, owner: &str, sealed: &[u8]) -> Option<String> {
        self.id_numbers
            .open(&format!("{ID_NUMBER_FIELD}:{owner}"), sealed)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
    }

    /// Opens an ID number sealed before blobs were bound to their owner (one constant
    /// associated data for everyone). Used only to re-seal such blobs at start-up.
    fn open_legacy_id_number(&self, sealed: &[u8]) -> Option<String> {
        self.id_numbers
            .open(ID_NUMBER_FIELD, sealed)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
    }

    /// Seals a cached department answer under its cache key (the associated data), so an entry
    /// copied to another key does not open.
    pub fn seal_cached(&self, cache_key: &str, plain: &[u8]) -> Vec<u8> {
        self.cache_records.seal(cache_key, plain)
    }

    /// Opens a cached department answer; `None` when it was sealed for another key or under
    /// another deployment's key.
    pub fn open_cached(&self, cache_key: &str, sealed: &[u8]) -> Option<Vec<u8>> {
        self.cache_records.open(cache_key, sealed).ok()
    }

    /// Seals a refresh token's successor, bound to the spent token's hash.
    pub fn seal_successor(&self, spent_hash: &str, successor: &str) -> Vec<u8> {
        self.refresh_successors
            .seal(spent_hash, successor.as_bytes())
    }

    /// Seals a submission's answers, bound to its instance id.
    pub fn seal_answers(&self, instance_id: &str, answers: &[u8]) -> Vec<u8> {
        self.form_answers.seal(instance_id, answers)
    }

    /// Opens what [`Self::seal_answers`] sealed for `instance_id`.
    pub fn open_answers(&self, instance_id: &str, sealed: &[u8]) -> Option<Vec<u8>> {
        self.form_answers.open(instance_id, sealed).ok()
    }

    /// Opens what [`Self::seal_successor`] sealed for `spent_hash`.
    pub fn open_successor(&self, spent_hash: &str, sealed: &[u8]) -> Option<String> {
        self.refresh_successors
            .open(spent_hash, sealed)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
    }

    #[cfg(test)]
    pub(crate) fn for_tests(pseudonym: &[u8]) -> Self {
        Self::new(pseudonym.to_vec(), &[7; 32]).unwrap_or_else(|| unreachable!("32-byte key"))
    }
}

/// Whose row an ID number is sealed for: the user's natural key, known before the row exists.
pub fn id_number_owner(kind: UserKind, subject: &str) -> String {
    format!("{}:{subject}", kind.as_str())
}

/// Marks a deployment whose ID numbers are all bound to their owner.
const RESEALED_MARKER: &str = "migration:id-numbers-bound-to-owner";

/// Re-seals, bound to their owner, the ID numbers stored before sealing was bound to owners,
/// walking every user in batches, once per deployment (a marker in `server_secrets` records
/// it); run at start-up, before requests are served, so no old blob is ever opened at request
/// time (an old blob would open in any user's row). Returns how many were re-sealed; blobs that
/// open under neither form are counted and left alone (logged).
pub async fn reseal_legacy_id_numbers_once(
    store: &dyn crate::storage::Store,
    keys: &PersonalDataKeys,
) -> Result<u64, crate::storage::StoreError> {
    if store.has_server_secret(RESEALED_MARKER).await? {
        return Ok(0);
    }
    let resealed = reseal_legacy_id_numbers(store, keys).await?;
    // Instances starting together may both walk the users; the second finds nothing to do.
    store.server_secret(RESEALED_MARKER, b"done").await?;
    Ok(resealed)
}

/// One walk of [`reseal_legacy_id_numbers_once`], whatever the marker says.
pub async fn reseal_legacy_id_numbers(
    store: &dyn crate::storage::Store,
    keys: &PersonalDataKeys,
) -> Result<u64, crate::storage::StoreError> {
    const BATCH: i64 = 500;
    let (mut after, mut resealed, mut unreadable) = (None, 0u64, 0u64);
    loop {
        let users = store.users_after(after, BATCH).await?;
        for user in &users {
            let Some(sealed) = &user.profile.id_number_sealed else {
                continue;
            };
            let owner = id_number_owner(user.profile.kind, &user.profile.subject);
            if keys.open_id_number(&owner, sealed).is_some() {
                continue;
            }
            match keys.open_legacy_id_number(sealed) {
                Some(id_number) => {
                    let new = keys.seal_id_number(&owner, &id_number);
                    if store
                        .replace_sealed_id_number(user.id, sealed, &new)
                        .await?
                    {
                        resealed += 1;
                    }
                }
                None => unreadable += 1,
            }
        }
        match users.last() {
            Some(last) if users.len() as i64 == BATCH => after = Some(last.id),
            _ => break,
        }
    }
    if resealed > 0 || unreadable > 0 {
        tracing::info!(
            resealed,
            unreadable,
            "sealed ID numbers bound to their owners"
        );
    }
    Ok(resealed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_legacy_blob_opens_only_through_the_legacy_path() {
        let keys = PersonalDataKeys::for_tests(b"k");
        let legacy = keys.id_numbers.seal(ID_NUMBER_FIELD, b"330302199001011234");
        assert_eq!(keys.open_id_number("citizen:u1", &legacy), None);
        assert_eq!(
            keys.open_legacy_id_number(&legacy).as_deref(),
            Some("330302199001011234")
        );
    }

    #[test]
    fn cache_pseudonyms_and_legal_person_subjects_use_different_keys() {
        let keys = PersonalDataKeys::for_tests(b"k");
        let id = "330302199001011234";
        assert_ne!(keys.pseudonym(id), keys.subject_pseudonym(id));
        assert_eq!(keys.pseudonym(id), keys.pseudonym(id), "stable");
    }
}
