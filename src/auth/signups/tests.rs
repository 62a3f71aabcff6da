use std::{net::IpAddr, sync::Arc, time::Duration};

use super::*;
use crate::{
    auth::{Limit, Limits, SystemClock, Throttle},
    settings::{Secret, Settings},
    storage::{Role, test_support::temp_db},
};

async fn accounts() -> (Accounts, crate::storage::TempDb) {
    let (db, dir) = temp_db().await;
    let mut s = Settings::defaults();
    s.jwt_secret = Some(Secret::new("k".repeat(64)));
    (Accounts::new(db, &s).unwrap(), dir)
}

fn principal(u: &UserRow) -> Principal {
    Principal { user_id: u.id.clone(), email: u.email.clone(), role: u.role(), session_id: None, api_key_id: None }
}

#[tokio::test]
async fn by_default_the_first_account_is_an_active_admin_and_later_ones_wait_for_approval() {
    let (a, _d) = accounts().await;
    assert_eq!(a.signup_mode().await.unwrap(), SignupMode::Approval);
    let root = a.register("root@x.io", "lovelace-1815", None).await.unwrap();
    assert_eq!((root.role(), root.status()), (Role::Admin, UserStatus::Active));
    let bob = a.register("bob@x.io", "babbage-1791", None).await.unwrap();
    assert_eq!((bob.role(), bob.status()), (Role::User, UserStatus::Pending));

    // The right password says "wait for approval"; a wrong one says nothing about the account.
    match a.login("bob@x.io", "babbage-1791", None, None).await {
        Err(Error::Forbidden(m)) => assert!(m.contains("approval"), "{m}"),
        other => panic!("expected Forbidden, got {other:?}"),
    }
    assert!(matches!(a.login("bob@x.io", "wrong-password", None, None).await, Err(Error::Unauthorized(_))));

    let pending = a.list_pending_users(&principal(&root)).await.unwrap();
    assert_eq!(pending.iter().map(|u| u.email.as_str()).collect::<Vec<_>>(), ["bob@x.io"]);
    a.approve_user(&principal(&root), &bob.id).await.unwrap();
    assert!(a.login("bob@x.io", "babbage-1791", None, None).await.is_ok());
    assert!(a.list_pending_users(&principal(&root)).await.unwrap().is_empty());
}

#[tokio::test]
async fn closed_sign_ups_are_refused_with_a_clear_message_and_open_ones_are_active() {
    let (a, _d) = accounts().await;
    let root = a.register("root@x.io", "lovelace-1815", None).await.unwrap();
    a.set_signup_mode(&principal(&root), SignupMode::Closed).await.unwrap();
    match a.register("bob@x.io", "babbage-1791", None).await {
        Err(Error::Forbidden(m)) => assert!(m.contains("closed"), "{m}"),
        other => panic!("expected Forbidden, got {other:?}"),
    }
    assert!(a.user_by_email("bob@x.io").await.unwrap().is_none());

    a.set_signup_mode(&principal(&root), SignupMode::Open).await.unwrap();
    let bob = a.register("bob@x.io", "babbage-1791", None).await.unwrap();
    assert_eq!(bob.status(), UserStatus::Active);
    assert!(a.login("bob@x.io", "babbage-1791", None, None).await.is_ok());
}

#[tokio::test]
async fn closed_sign_ups_refuse_even_the_first_account() {
    let (a, _d) = accounts().await;
    a.set_signup_mode_as_operator(SignupMode::Closed).await.unwrap();
    assert!(matches!(a.register("root@x.io", "lovelace-1815", None).await, Err(Error::Forbidden(_))));
}

#[tokio::test]
async fn only_admins_change_the_mode_or_approve() {
    let (a, _d) = accounts().await;
    a.register("root@x.io", "lovelace-1815", None).await.unwrap();
    a.set_signup_mode_as_operator(SignupMode::Open).await.unwrap();
    let bob = a.register("bob@x.io", "babbage-1791", None).await.unwrap();
    let me = principal(&bob);
    assert!(matches!(a.set_signup_mode(&me, SignupMode::Open).await, Err(Error::Forbidden(_))));
    assert!(matches!(a.approve_user(&me, &bob.id).await, Err(Error::Forbidden(_))));
    assert!(matches!(a.list_pending_users(&me).await, Err(Error::Forbidden(_))));
    assert_eq!(a.signup_mode().await.unwrap(), SignupMode::Open);
}

#[tokio::test]
async fn sign_ups_from_one_ip_are_rate_limited() {
    let (a, _d) = accounts().await;
    let limits = Limits { ip_signups: Limit::new(2, Duration::from_secs(3600)), ..Limits::default() };
    let a = a.with_throttle(Throttle::with_limits(limits, Arc::new(SystemClock::default())));
    a.set_signup_mode_as_operator(SignupMode::Open).await.unwrap();
    let ip: IpAddr = "203.0.113.9".parse().unwrap();
    a.register("u1@x.io", "lovelace-1815", Some(ip)).await.unwrap();
    a.register("u2@x.io", "lovelace-1815", Some(ip)).await.unwrap();
    assert!(matches!(a.register("u3@x.io", "lovelace-1815", Some(ip)).await, Err(Error::RateLimited { .. })));
    assert!(a.user_by_email("u3@x.io").await.unwrap().is_none());
    a.register("u3@x.io", "lovelace-1815", Some("203.0.113.10".parse().unwrap())).await.unwrap();
}
