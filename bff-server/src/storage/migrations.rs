//! Migrations, per capability and per database: `migrations/<database>/<capability>/`, so a
//! capability's schema sits beside its store. They run as one sequence in version order (a
//! migration may touch another capability's table, e.g. an index for the pruner), so versions
//! are unique across capabilities: a new migration takes the next free number, whichever
//! capability it belongs to (a test checks both databases have the same versions, none twice).
//!
//! The first seven predate the split and keep their numbers and contents (sqlx checksums
//! applied migrations); `identity/0001` also created `signing_keys` and `audit_events`.

use futures::future::BoxFuture;
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, Migrator};

use super::{StoreError, StoreResult};

/// Every capability's migrations, as one source in version order.
#[derive(Debug)]
struct InVersionOrder(Vec<Migration>);

impl<'s> MigrationSource<'s> for InVersionOrder {
    fn resolve(self) -> BoxFuture<'s, Result<Vec<Migration>, BoxDynError>> {
        Box::pin(async move { Ok(self.0) })
    }
}

fn in_version_order(parts: &[Migrator]) -> Vec<Migration> {
    let mut all: Vec<Migration> = parts.iter().flat_map(|m| m.iter().cloned()).collect();
    all.sort_by_key(|m| m.version);
    all
}

fn postgres_parts() -> [Migrator; 9] {
    [
        sqlx::migrate!("migrations/postgres/analytics"),
        sqlx::migrate!("migrations/postgres/forms"),
        sqlx::migrate!("migrations/postgres/identity"),
        sqlx::migrate!("migrations/postgres/jobs"),
        sqlx::migrate!("migrations/postgres/policy"),
        sqlx::migrate!("migrations/postgres/secrets"),
        sqlx::migrate!("migrations/postgres/supervision"),
        sqlx::migrate!("migrations/postgres/upstream_calls"),
        sqlx::migrate!("migrations/postgres/vault"),
    ]
}

fn sqlite_parts() -> [Migrator; 9] {
    [
        sqlx::migrate!("migrations/sqlite/analytics"),
        sqlx::migrate!("migrations/sqlite/forms"),
        sqlx::migrate!("migrations/sqlite/identity"),
        sqlx::migrate!("migrations/sqlite/jobs"),
        sqlx::migrate!("migrations/sqlite/policy"),
        sqlx::migrate!("migrations/sqlite/secrets"),
        sqlx::migrate!("migrations/sqlite/supervision"),
        sqlx::migrate!("migrations/sqlite/upstream_calls"),
        sqlx::migrate!("migrations/sqlite/vault"),
    ]
}

async fn migrator(parts: &[Migrator]) -> StoreResult<Migrator> {
    Migrator::new(InVersionOrder(in_version_order(parts)))
        .await
        .map_err(|e| StoreError::Other(e.to_string()))
}

/// The PostgreSQL migrator: every capability's migrations.
pub(super) async fn postgres() -> StoreResult<Migrator> {
    migrator(&postgres_parts()).await
}

/// The SQLite migrator: every capability's migrations.
pub(super) async fn sqlite() -> StoreResult<Migrator> {
    migrator(&sqlite_parts()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn versions(parts: &[Migrator]) -> Vec<(i64, String)> {
        in_version_order(parts)
            .iter()
            .map(|m| (m.version, m.description.to_string()))
            .collect()
    }

    #[test]
    fn no_two_migrations_share_a_version_and_both_databases_have_the_same_ones() {
        for parts in [&postgres_parts()[..], &sqlite_parts()[..]] {
            let all = versions(parts);
            let mut numbers: Vec<i64> = all.iter().map(|(v, _)| *v).collect();
            numbers.dedup();
            assert_eq!(numbers.len(), all.len(), "a version used twice: {all:?}");
        }
        assert_eq!(versions(&postgres_parts()), versions(&sqlite_parts()));
    }
}
