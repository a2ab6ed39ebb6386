//! Shared by the BFF's integration tests: fresh databases on both backends.

#![allow(dead_code)]

use std::sync::Arc;

use bff_server::storage::{self, Store};

/// The admin URL of the test PostgreSQL, started by `scripts/test`.
pub fn postgres_admin_url() -> String {
    std::env::var("ZK_TEST_POSTGRES_URL")
        .expect("ZK_TEST_POSTGRES_URL is not set: run the tests with scripts/test, which starts PostgreSQL and Redis")
}

/// A new, empty PostgreSQL database for one test binary; returns its URL.
pub async fn fresh_postgres_database() -> String {
    use sqlx::Connection as _;
    let admin = postgres_admin_url();
    let name = format!("zk_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .expect("connect to test PostgreSQL");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create database");
    let base = admin
        .rsplit_once('/')
        .map(|(b, _)| b.to_string())
        .unwrap_or(admin);
    format!("{base}/{name}")
}

/// A new SQLite file in the system temp directory.
pub fn fresh_sqlite_url() -> String {
    let path = std::env::temp_dir().join(format!("zk-test-{}.db", uuid::Uuid::new_v4().simple()));
    format!("sqlite:{}", path.display())
}

/// Both stores, freshly migrated.
pub async fn both_stores() -> Vec<(&'static str, Arc<dyn Store>)> {
    vec![
        (
            "sqlite",
            storage::connect(&fresh_sqlite_url())
                .await
                .expect("sqlite store"),
        ),
        (
            "postgres",
            storage::connect(&fresh_postgres_database().await)
                .await
                .expect("postgres store"),
        ),
    ]
}
