//! The storage contract, run against PostgreSQL and SQLite alike.

mod common;

use bff_server::storage::{
    AuditEvent, MiniApp, NewUser, NextRefreshToken, RefreshRefusal, RefreshToken, Rotation,
    StoreError, StoredConsent, StoredPasskey,
};
use chrono::{Duration, SubsecRound, Utc};
use uuid::Uuid;
use zhelikit_domain::api::{EnterpriseSummary, UserKind};

fn citizen(subject: &str, level: u8) -> NewUser {
    NewUser {
        kind: UserKind::Citizen,
        subject: subject.into(),
        display_name: "张三".into(),
        real_name_level: level,
        id_number_masked: Some("330302********1234".into()),
        id_number_sealed: Some(vec![1, 2, 3]),
        phone_masked: Some("138****5678".into()),
        enterprise: None,
        official: None,
    }
}

fn next(hash: &str, expires_at: chrono::DateTime<Utc>) -> NextRefreshToken {
    NextRefreshToken {
        token_hash: hash.into(),
        sealed: format!("sealed {hash}").into_bytes(),
        expires_at,
        scopes: vec!["profile".into()],
    }
}

/// The grace window off: every second presentation is reuse.
const NO_GRACE: std::time::Duration = std::time::Duration::ZERO;
const GRACE: std::time::Duration = std::time::Duration::from_secs(10);

fn mini_app() -> MiniApp {
    MiniApp {
        id: "app-a".into(),
        name: "A".into(),
        callback_urls: vec!["http://127.0.0.1/cb".into()],
        allowed_scopes: vec!["profile".into(), "passkey".into()],
        min_real_name_level: 2,
        allowed_user_kinds: vec![UserKind::Citizen, UserKind::LegalPerson],
    }
}

#[tokio::test]
async fn users_are_upserted_by_kind_and_subject_and_read_back_whole() {
    for (name, store) in common::both_stores().await {
        let first = store.upsert_user(&citizen("u1", 2)).await.unwrap();
        let again = store.upsert_user(&citizen("u1", 3)).await.unwrap();
        assert_eq!(first.id, again.id, "{name}: same person, same id");
        assert_eq!(
            again.profile.real_name_level, 3,
            "{name}: profile refreshed"
        );
        let mut enterprise = citizen("e1:abc", 3);
        enterprise.kind = UserKind::LegalPerson;
        enterprise.enterprise = Some(EnterpriseSummary {
            name: "温州甲公司".into(),
            uscc: "91350100M000100Y43".into(),
            legal_representative: "李*".into(),
        });
        let e = store.upsert_user(&enterprise).await.unwrap();
        assert_eq!(
            store.user(e.id).await.unwrap().unwrap().profile,
            enterprise,
            "{name}"
        );
        assert_eq!(store.user(Uuid::new_v4()).await.unwrap(), None, "{name}");
    }
}

#[tokio::test]
async fn mini_apps_round_trip() {
    for (name, store) in common::both_stores().await {
        store.upsert_mini_app(&mini_app()).await.unwrap();
        assert_eq!(
            store.mini_app("app-a").await.unwrap(),
            Some(mini_app()),
            "{name}"
        );
        assert_eq!(store.mini_app("nope").await.unwrap(), None, "{name}");
    }
}

#[tokio::test]
async fn a_refresh_token_rotates_once_and_its_reuse_revokes_the_family() {
    for (name, store) in common::both_stores().await {
        store.upsert_mini_app(&mini_app()).await.unwrap();
        let user = store.upsert_user(&citizen("u1", 3)).await.unwrap();
        // PostgreSQL keeps microseconds.
        let now = Utc::now().trunc_subsecs(6);
        let family_id = Uuid::new_v4();
        let first = RefreshToken {
            token_hash: "h1".into(),
            family_id,
            user_id: user.id,
            mini_app_id: "app-a".into(),
            scopes: vec!["profile".into()],
            expires_at: now + Duration::days(30),
            auth_time: now,
        };
        store.insert_refresh_token(&first).await.unwrap();

        let rotated = store
            .rotate_refresh_token("h1", &next("h2", now + Duration::days(30)), now, NO_GRACE)
            .await
            .unwrap();
        assert_eq!(rotated, Rotation::Rotated(first.clone()), "{name}");
        assert!(
            store.live_refresh_token("h2", now).await.unwrap().is_some(),
            "{name}: successor is live"
        );

        let reused = store
            .rotate_refresh_token("h1", &next("h3", now + Duration::days(30)), now, NO_GRACE)
            .await
            .unwrap();
        assert_eq!(
            reused,
            Rotation::Reused {
                family_id,
                user_id: user.id
            },
            "{name}"
        );
        assert!(
            store.live_refresh_token("h2", now).await.unwrap().is_none(),
            "{name}: the family is revoked"
        );
        assert!(
            store.live_refresh_token("h3", now).await.unwrap().is_none(),
            "{name}: nothing new was written"
        );
        assert_eq!(
            store
                .rotate_refresh_token("h2", &next("h4", now + Duration::days(30)), now, NO_GRACE)
                .await
                .unwrap(),
            Rotation::Rejected(RefreshRefusal::SessionEnded),
            "{name}"
        );
        assert_eq!(
            store
                .rotate_refresh_token(
                    "unknown",
                    &next("h5", now + Duration::days(30)),
                    now,
                    NO_GRACE
                )
                .await
                .unwrap(),
            Rotation::Rejected(RefreshRefusal::Unknown),
            "{name}"
        );
    }
}

#[tokio::test]
async fn an_expired_refresh_token_is_rejected_and_revoking_a_user_ends_every_family() {
    for (name, store) in common::both_stores().await {
        store.upsert_mini_app(&mini_app()).await.unwrap();
        let user = store.upsert_user(&citizen("u2", 3)).await.unwrap();
        let now = Utc::now();
        let token = |hash: &str, expires_at| RefreshToken {
            token_hash: hash.into(),
            family_id: Uuid::new_v4(),
            user_id: user.id,
            mini_app_id: "app-a".into(),
            scopes: vec![],
            expires_at,
            auth_time: now,
        };
        store
            .insert_refresh_token(&token("old", now - Duration::seconds(1)))
            .await
            .unwrap();
        assert_eq!(
            store
                .rotate_refresh_token("old", &next("x", now + Duration::days(1)), now, NO_GRACE)
                .await
                .unwrap(),
            Rotation::Rejected(RefreshRefusal::Expired),
            "{name}"
        );
        store
            .insert_refresh_token(&token("a", now + Duration::days(1)))
            .await
            .unwrap();
        store
            .insert_refresh_token(&token("b", now + Duration::days(1)))
            .await
            .unwrap();
        assert_eq!(
            store.revoke_user(user.id, now).await.unwrap().len(),
            3,
            "{name}: three live sessions"
        );
        assert!(
            store.live_refresh_token("a", now).await.unwrap().is_none(),
            "{name}"
        );
        assert!(
            store.live_refresh_token("b", now).await.unwrap().is_none(),
            "{name}"
        );
    }
}

#[tokio::test]
async fn concurrent_rotations_of_one_token_let_exactly_one_win() {
    for (name, store) in common::both_stores().await {
        store.upsert_mini_app(&mini_app()).await.unwrap();
        let user = store.upsert_user(&citizen("u3", 3)).await.unwrap();
        let now = Utc::now();
        store
            .insert_refresh_token(&RefreshToken {
                token_hash: "race".into(),
                family_id: Uuid::new_v4(),
                user_id: user.id,
                mini_app_id: "app-a".into(),
                scopes: vec![],
                expires_at: now + Duration::days(1),
                auth_time: now,
            })
            .await
            .unwrap();
        let attempts = (0..8).map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .rotate_refresh_token(
                        "race",
                        &next(&format!("next{i}"), now + Duration::days(1)),
                        now,
                        NO_GRACE,
                    )
                    .await
            })
        });
        let mut rotated = 0;
        for attempt in attempts {
            if let Rotation::Rotated(_) = attempt.await.unwrap().unwrap() {
                rotated += 1;
            }
        }
        assert_eq!(rotated, 1, "{name}: exactly one rotation wins");
    }
}

#[tokio::test]
async fn a_credential_id_registers_once() {
    for (name, store) in common::both_stores().await {
        let user = store.upsert_user(&citizen("u4", 3)).await.unwrap();
        let passkey = StoredPasskey {
            credential_id: "cred-1".into(),
            user_id: user.id,
            passkey_json: "{}".into(),
            name: "手机".into(),
            created_at: Utc::now().trunc_subsecs(3),
            last_used_at: None,
        };
        store.insert_passkey(&passkey).await.unwrap();
        assert!(
            matches!(
                store.insert_passkey(&passkey).await,
                Err(StoreError::Conflict(_))
            ),
            "{name}"
        );
        store
            .update_passkey(&StoredPasskey {
                passkey_json: "{\"n\":1}".into(),
                ..passkey.clone()
            })
            .await
            .unwrap();
        assert_eq!(
            store.passkeys(user.id).await.unwrap()[0].passkey_json,
            "{\"n\":1}",
            "{name}"
        );

        // Its owner renames and deletes it; nobody else can.
        let stranger = Uuid::new_v4();
        assert!(
            !store.rename_passkey(stranger, "cred-1", "x").await.unwrap(),
            "{name}"
        );
        assert!(
            store
                .rename_passkey(user.id, "cred-1", "旧手机")
                .await
                .unwrap(),
            "{name}"
        );
        let listed = store.passkeys(user.id).await.unwrap();
        assert_eq!(listed[0].name, "旧手机", "{name}");
        assert_eq!(listed[0].created_at, passkey.created_at, "{name}");
        assert!(
            !store.delete_passkey(stranger, "cred-1").await.unwrap(),
            "{name}"
        );
        assert!(
            store.delete_passkey(user.id, "cred-1").await.unwrap(),
            "{name}"
        );
        assert!(
            !store.delete_passkey(user.id, "cred-1").await.unwrap(),
            "{name}"
        );
        for id in ["a", "b"] {
            store
                .insert_passkey(&StoredPasskey {
                    credential_id: id.into(),
                    ..passkey.clone()
                })
                .await
                .unwrap();
        }
        assert_eq!(store.delete_passkeys(user.id).await.unwrap(), 2, "{name}");
        assert!(store.passkeys(user.id).await.unwrap().is_empty(), "{name}");
    }
}

#[tokio::test]
async fn audit_events_and_signing_keys_are_kept_newest_first() {
    for (name, store) in common::both_stores().await {
        for event in ["login", "logout"] {
            store
                .record_audit(&AuditEvent {
                    event: event.into(),
                    user_id: Some(Uuid::new_v4()),
                    mini_app_id: Some("app-a".into()),
                    client: Some("127.0.0.1".into()),
                    request_id: None,
                    detail: "zlb_ticket".into(),
                })
                .await
                .unwrap();
        }
        let events = store.recent_audit(10).await.unwrap();
        assert_eq!(
            events.iter().map(|e| e.event.as_str()).collect::<Vec<_>>(),
            vec!["logout", "login"],
            "{name}"
        );

        let mut old = bff_server::identity::tokens::generate_key().unwrap();
        old.created_at = Utc::now() - Duration::days(1);
        let new = bff_server::identity::tokens::generate_key().unwrap();
        store.insert_signing_key(&old).await.unwrap();
        store.insert_signing_key(&new).await.unwrap();
        let keys = store.signing_keys().await.unwrap();
        assert_eq!(keys[0].kid, new.kid, "{name}");
        assert_eq!(keys[1].private_pkcs8, old.private_pkcs8, "{name}");
    }
}

#[tokio::test]
async fn a_server_secret_is_created_once_and_then_kept() {
    for (name, store) in common::both_stores().await {
        let first = store
            .server_secret("pseudonym-key", b"first")
            .await
            .unwrap();
        let second = store
            .server_secret("pseudonym-key", b"second")
            .await
            .unwrap();
        assert_eq!(
            (first.as_slice(), second.as_slice()),
            (&b"first"[..], &b"first"[..]),
            "{name}"
        );
    }
}

#[tokio::test]
async fn department_calls_are_kept_in_batches_and_read_back_newest_first() {
    use bff_server::storage::UpstreamCall;
    for (name, store) in common::both_stores().await {
        let call = |n: i64| UpstreamCall {
            at: Utc::now().trunc_subsecs(6),
            department: "public_security".into(),
            operation: "household_register".into(),
            latency_ms: n,
            outcome: "found".into(),
            on_behalf: format!("user-{n}"),
        };
        store
            .record_upstream_calls(&[call(1), call(2)])
            .await
            .unwrap();
        store.record_upstream_calls(&[call(3)]).await.unwrap();
        store.record_upstream_calls(&[]).await.unwrap();
        let latencies: Vec<i64> = store
            .recent_upstream_calls(10)
            .await
            .unwrap()
            .iter()
            .map(|c| c.latency_ms)
            .collect();
        assert_eq!(latencies, vec![3, 2, 1], "{name}");
        assert_eq!(
            store.recent_upstream_calls(2).await.unwrap().len(),
            2,
            "{name}"
        );
    }
}

fn family_token(user_id: Uuid, hash: &str, now: chrono::DateTime<Utc>) -> RefreshToken {
    RefreshToken {
        token_hash: hash.into(),
        family_id: Uuid::new_v4(),
        user_id,
        mini_app_id: "app-a".into(),
        scopes: vec!["profile".into()],
        expires_at: now + Duration::days(30),
        auth_time: now - Duration::minutes(3),
    }
}

/// Hardening #9: a lost refresh response must not end the session.
#[tokio::test]
async fn a_spent_token_presented_again_within_the_grace_window_gets_the_same_successor() {
    for (name, store) in common::both_stores().await {
        store.upsert_mini_app(&mini_app()).await.unwrap();
        let user = store.upsert_user(&citizen("grace", 3)).await.unwrap();
        let now = Utc::now().trunc_subsecs(6);
        let first = family_token(user.id, "g1", now);
        store.insert_refresh_token(&first).await.unwrap();
        let rotated = store
            .rotate_refresh_token("g1", &next("g2", now + Duration::days(30)), now, GRACE)
            .await
            .unwrap();
        assert_eq!(
            rotated,
            Rotation::Rotated(first.clone()),
            "{name}: auth_time kept"
        );

        // The answer was lost; the device presents g1 again three seconds later.
        let again = store
            .rotate_refresh_token(
                "g1",
                &next("g2-other", now + Duration::days(30)),
                now + Duration::seconds(3),
                GRACE,
            )
            .await
            .unwrap();
        assert_eq!(
            again,
            Rotation::Replayed {
                spent: first.clone(),
                successor_sealed: b"sealed g2".to_vec(),
                successor_scopes: vec!["profile".into()],
            },
            "{name}"
        );
        assert!(
            store.live_refresh_token("g2", now).await.unwrap().is_some(),
            "{name}: the successor still works"
        );
        assert!(store
            .live_refresh_token("g2-other", now)
            .await
            .unwrap()
            .is_none());

        // After the window, the same presentation is reuse and ends the session.
        let late = store
            .rotate_refresh_token(
                "g1",
                &next("g3", now + Duration::days(30)),
                now + Duration::seconds(11),
                GRACE,
            )
            .await
            .unwrap();
        assert_eq!(
            late,
            Rotation::Reused {
                family_id: first.family_id,
                user_id: user.id
            },
            "{name}"
        );
        assert!(store.live_refresh_token("g2", now).await.unwrap().is_none());

        // An older token whose successor was itself spent is reuse even within the window.
        let second = family_token(user.id, "o1", now);
        store.insert_refresh_token(&second).await.unwrap();
        for (from, to) in [("o1", "o2"), ("o2", "o3")] {
            let r = store
                .rotate_refresh_token(from, &next(to, now + Duration::days(30)), now, GRACE)
                .await
                .unwrap();
            assert!(matches!(r, Rotation::Rotated(_)), "{name}: {r:?}");
        }
        let older = store
            .rotate_refresh_token("o1", &next("o4", now + Duration::days(30)), now, GRACE)
            .await
            .unwrap();
        assert!(
            matches!(older, Rotation::Reused { .. }),
            "{name}: {older:?}"
        );
    }
}

/// Hardening #3: logout (and logout everywhere) racing a refresh of the same session never
/// leaves a live successor behind.
#[tokio::test]
async fn a_logout_racing_a_refresh_leaves_no_refresh_token_that_works() {
    for (name, store) in common::both_stores().await {
        store.upsert_mini_app(&mini_app()).await.unwrap();
        let user = store.upsert_user(&citizen("racer", 3)).await.unwrap();
        let now = Utc::now();
        let mut survivors = Vec::new();
        for i in 0..300 {
            let token = family_token(user.id, &format!("race-{i}"), now);
            store.insert_refresh_token(&token).await.unwrap();
            let (rotating, revoking) = (store.clone(), store.clone());
            let successor = format!("race-{i}-next");
            let rotation = tokio::spawn({
                let successor = successor.clone();
                async move {
                    rotating
                        .rotate_refresh_token(
                            &format!("race-{i}"),
                            &next(&successor, now + Duration::days(1)),
                            Utc::now(),
                            NO_GRACE,
                        )
                        .await
                }
            });
            let family_id = token.family_id;
            let revocation = tokio::spawn(async move {
                if i % 2 == 0 {
                    revoking
                        .revoke_family(family_id, Utc::now())
                        .await
                        .map(|_| ())
                } else {
                    revoking.revoke_user(user.id, Utc::now()).await.map(|_| ())
                }
            });
            rotation.await.unwrap().unwrap();
            revocation.await.unwrap().unwrap();
            let after = store
                .rotate_refresh_token(
                    &successor,
                    &next(&format!("{successor}-2"), now + Duration::days(1)),
                    Utc::now(),
                    NO_GRACE,
                )
                .await
                .unwrap();
            if matches!(after, Rotation::Rotated(_) | Rotation::Replayed { .. }) {
                survivors.push(i);
            }
        }
        assert!(
            survivors.is_empty(),
            "{name}: refreshed after logout: {survivors:?}"
        );
    }
}

/// Hardening #10: logout everywhere touches live sessions only, and rows past their retention
/// are pruned.
#[tokio::test]
async fn revoking_a_user_leaves_ended_sessions_alone_and_old_rows_are_pruned() {
    for (name, store) in common::both_stores().await {
        store.upsert_mini_app(&mini_app()).await.unwrap();
        let user = store.upsert_user(&citizen("pruned", 3)).await.unwrap();
        let now = Utc::now();
        let ended = family_token(user.id, "ended", now);
        let live = family_token(user.id, "live", now);
        store.insert_refresh_token(&ended).await.unwrap();
        store.insert_refresh_token(&live).await.unwrap();
        store
            .revoke_family(ended.family_id, now - Duration::hours(1))
            .await
            .unwrap();
        let revoked = store.revoke_user(user.id, now).await.unwrap();
        assert_eq!(
            revoked,
            vec![live.family_id],
            "{name}: only the live session"
        );
        let recent = store
            .revoked_since(now - Duration::minutes(1))
            .await
            .unwrap();
        assert!(
            recent.iter().all(|(f, _)| *f != ended.family_id),
            "{name}: the ended session keeps its time: {recent:?}"
        );
        store
            .record_audit(&AuditEvent {
                event: "login".into(),
                user_id: Some(user.id),
                mini_app_id: None,
                client: None,
                request_id: None,
                detail: String::new(),
            })
            .await
            .unwrap();
        store
            .record_upstream_calls(&[bff_server::storage::UpstreamCall {
                at: now,
                department: "transport".into(),
                operation: "driving_licence".into(),
                latency_ms: 3,
                outcome: "found".into(),
                on_behalf: "u".into(),
            }])
            .await
            .unwrap();

        let retention = bff_server::retention::Retention::default();
        let today = bff_server::retention::prune_once(store.as_ref(), &retention, GRACE, now)
            .await
            .unwrap();
        assert_eq!(
            today.refresh_tokens, 0,
            "{name}: nothing is old yet: {today:?}"
        );
        assert_eq!(today.audit_events, 0, "{name}");
        // A year later everything has passed its retention.
        let later = bff_server::retention::prune_once(
            store.as_ref(),
            &retention,
            GRACE,
            now + Duration::days(365),
        )
        .await
        .unwrap();
        assert!(later.refresh_tokens >= 2, "{name}: {later:?}");
        assert!(later.session_families >= 2, "{name}: {later:?}");
        assert!(later.audit_events >= 1, "{name}: {later:?}");
        assert!(later.upstream_call_batches >= 1, "{name}: {later:?}");
        assert!(store.recent_audit(10).await.unwrap().is_empty(), "{name}");
        assert!(
            store.recent_upstream_calls(10).await.unwrap().is_empty(),
            "{name}"
        );
    }
}

/// Hardening #12: ID numbers sealed before sealing was bound to the owner are re-sealed at
/// start-up, so they keep working and no old-form blob is opened at request time.
#[tokio::test]
async fn id_numbers_sealed_the_old_way_are_resealed_bound_to_their_owner() {
    use bff_server::personal_data::{id_number_owner, reseal_legacy_id_numbers, PersonalDataKeys};
    for (name, store) in common::both_stores().await {
        let sealing = [3u8; 32];
        let keys = PersonalDataKeys::new(b"pseudonyms".to_vec(), &sealing).unwrap();
        let old_form = zhelikit_domain::sealing::SealingKey::new(&sealing)
            .unwrap()
            .seal("users.id_number", b"330302199001011234");
        let mut person = citizen("legacy", 3);
        person.id_number_sealed = Some(old_form);
        let user = store.upsert_user(&person).await.unwrap();
        let mut current = citizen("current", 3);
        let owner = id_number_owner(current.kind, &current.subject);
        current.id_number_sealed = Some(keys.seal_id_number(&owner, "330302199001015678"));
        store.upsert_user(&current).await.unwrap();

        assert_eq!(
            reseal_legacy_id_numbers(store.as_ref(), &keys)
                .await
                .unwrap(),
            1,
            "{name}"
        );
        let stored = store.user(user.id).await.unwrap().unwrap();
        let sealed = stored.profile.id_number_sealed.unwrap();
        assert_eq!(
            keys.open_id_number(&id_number_owner(stored.profile.kind, "legacy"), &sealed)
                .as_deref(),
            Some("330302199001011234"),
            "{name}"
        );
        assert_eq!(
            reseal_legacy_id_numbers(store.as_ref(), &keys)
                .await
                .unwrap(),
            0,
            "{name}: done"
        );
        // The start-up entry walks once per deployment, then only checks its marker.
        let marker = "migration:id-numbers-bound-to-owner";
        assert!(!store.has_server_secret(marker).await.unwrap(), "{name}");
        bff_server::personal_data::reseal_legacy_id_numbers_once(store.as_ref(), &keys)
            .await
            .unwrap();
        assert!(store.has_server_secret(marker).await.unwrap(), "{name}");
    }
}

fn view_tally(day: &str, page: &str, count: i64) -> bff_server::storage::Tally {
    bff_server::storage::Tally {
        day: day.into(),
        page_id: page.into(),
        kind: zhelikit_domain::analytics::EventKind::PageView,
        code: String::new(),
        count,
        load_ms_sum: 100 * count,
        load_n: count,
        duration_ms_sum: 0,
        duration_n: 0,
    }
}

fn visit(day: &str, page: &str, visitor: &str) -> bff_server::storage::Visit {
    bff_server::storage::Visit {
        day: day.into(),
        page_id: page.into(),
        visitor: visitor.into(),
    }
}

#[tokio::test]
async fn an_analytics_batch_counts_once_even_sent_twice_at_once_and_tallies_add_up() {
    for (name, store) in common::both_stores().await {
        let app = format!("analytics-{}", Uuid::new_v4());
        let now = Utc::now();
        let batch = Uuid::new_v4().to_string();
        let tallies = [view_tally("2026-12-01", "home", 2)];
        let visits = [visit("2026-12-01", "home", "v1")];
        let (a, b) = tokio::join!(
            store.count_analytics_batch(&app, &batch, &tallies, &visits, now),
            store.count_analytics_batch(&app, &batch, &tallies, &visits, now),
        );
        let firsts = [a.unwrap(), b.unwrap()];
        assert_eq!(
            firsts.iter().filter(|f| **f).count(),
            1,
            "{name}: exactly one of two identical batches counts: {firsts:?}"
        );
        // Another batch adds to the same tally; the same visitor again is one visitor.
        let second = Uuid::new_v4().to_string();
        assert!(store
            .count_analytics_batch(
                &app,
                &second,
                &[
                    view_tally("2026-12-01", "home", 3),
                    view_tally("2026-12-02", "detail", 1)
                ],
                &[
                    visit("2026-12-01", "home", "v1"),
                    visit("2026-12-01", "home", "v2"),
                    visit("2026-12-01", "detail", "v2"),
                ],
                now,
            )
            .await
            .unwrap());
        let tallies = store
            .analytics_tallies(&app, "2026-12-01", "2026-12-01")
            .await
            .unwrap();
        assert_eq!(tallies.len(), 1, "{name}: only the day asked: {tallies:?}");
        assert_eq!(
            (tallies[0].count, tallies[0].load_ms_sum),
            (5, 500),
            "{name}"
        );
        let mut visitors = store
            .analytics_visitors(&app, "2026-12-01", "2026-12-02")
            .await
            .unwrap();
        visitors.sort_by(|a, b| (&a.day, &a.page_id).cmp(&(&b.day, &b.page_id)));
        let seen: Vec<(Option<&str>, i64)> = visitors
            .iter()
            .map(|v| (v.page_id.as_deref(), v.visitors))
            .collect();
        assert_eq!(
            seen,
            [(None, 2), (Some("detail"), 1), (Some("home"), 2)],
            "{name}: per page, and per day counting v2 once"
        );
        // Another mini-app sees none of it.
        assert!(store
            .analytics_tallies("someone-else", "2026-12-01", "2026-12-02")
            .await
            .unwrap()
            .is_empty());

        // Visitor pseudonyms and batch ids go after their retention; the counts stay.
        let retention = bff_server::retention::Retention::default();
        let later = bff_server::retention::prune_once(
            store.as_ref(),
            &retention,
            GRACE,
            now + Duration::days(365),
        )
        .await
        .unwrap();
        assert!(later.analytics_visitors >= 3, "{name}: {later:?}");
        assert!(later.analytics_batches >= 2, "{name}: {later:?}");
        assert!(store
            .analytics_visitors(&app, "2026-12-01", "2026-12-02")
            .await
            .unwrap()
            .is_empty());
        assert_eq!(
            store
                .analytics_tallies(&app, "2026-12-01", "2026-12-02")
                .await
                .unwrap()
                .len(),
            2,
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_consent_changes_status_once_and_racing_fetches_are_counted_once() {
    for (name, store) in common::both_stores().await {
        let user = store.upsert_user(&citizen("consenting", 3)).await.unwrap();
        let now = Utc::now().trunc_subsecs(0);
        let consent = StoredConsent {
            id: format!("c-{}", Uuid::new_v4()),
            consumer_id: "zk-demo-bank".into(),
            user_id: user.id,
            artefact: "a.b.c".into(),
            terms: "{}".into(),
            status: "ACTIVE".into(),
            use_count: 0,
            created_at: now,
            status_changed_at: now,
        };
        store.insert_consent(&consent, &[]).await.unwrap();
        assert_eq!(
            store.consent(&consent.id).await.unwrap().as_ref(),
            Some(&consent),
            "{name}"
        );
        assert_eq!(
            store.consents_of(user.id).await.unwrap(),
            vec![consent.clone()],
            "{name}"
        );
        assert!(store.consent("nope").await.unwrap().is_none(), "{name}");

        let fetched = AuditEvent {
            event: "consent_fetched".into(),
            user_id: Some(user.id),
            mini_app_id: Some("zk-demo-bank".into()),
            client: Some("127.0.0.1".into()),
            request_id: None,
            detail: "resident_id".into(),
        };
        let fetch_lines = || async {
            let recent = store.recent_audit(100).await.unwrap();
            recent
                .iter()
                .filter(|e| e.event == "consent_fetched")
                .count()
        };
        let audited = fetch_lines().await;
        // Two fetches that both saw use count 0: one is counted, and audited with it.
        let (a, b) = tokio::join!(
            store.record_consent_fetch(&consent.id, 0, "f1", now, &fetched),
            store.record_consent_fetch(&consent.id, 0, "f2", now, &fetched),
        );
        assert_eq!(
            [a.unwrap(), b.unwrap()].iter().filter(|c| **c).count(),
            1,
            "{name}"
        );
        assert_eq!(
            store.consent(&consent.id).await.unwrap().unwrap().use_count,
            1,
            "{name}"
        );
        let audited_now = fetch_lines().await;
        assert_eq!(
            audited_now,
            audited + 1,
            "{name}: one audit line for the one counted"
        );
        let second_ago = now - Duration::seconds(1);
        let window = |since, nth| store.consent_fetch_window(&consent.id, since, nth);
        assert_eq!(
            window(second_ago, 1).await.unwrap(),
            (1, Some(now)),
            "{name}"
        );
        assert_eq!(
            window(second_ago, 2).await.unwrap(),
            (1, None),
            "{name}: no 2nd newest"
        );
        assert_eq!(window(now, 1).await.unwrap(), (0, None), "{name}");

        // A status changes only from what it was; a paused consent serves no fetch.
        assert!(
            store
                .set_consent_status(&consent.id, "ACTIVE", "PAUSED", now, &[])
                .await
                .unwrap(),
            "{name}"
        );
        assert!(
            !store
                .set_consent_status(&consent.id, "ACTIVE", "REVOKED", now, &[])
                .await
                .unwrap(),
            "{name}"
        );
        assert!(
            !store
                .record_consent_fetch(&consent.id, 1, "f3", now, &fetched)
                .await
                .unwrap(),
            "{name}"
        );
        assert_eq!(
            store.consent(&consent.id).await.unwrap().unwrap().status,
            "PAUSED",
            "{name}"
        );
    }
}
