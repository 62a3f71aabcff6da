use super::*;
use crate::ratelimit::ManualClock;

fn throttle() -> (Throttle, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::default());
    (Throttle::with_limits(Limits::default(), clock.clone()), clock)
}

fn retry_after(r: Result<LoginAttempt>) -> u64 {
    match r {
        Err(Error::RateLimited { retry_after_secs }) => retry_after_secs,
        Err(other) => panic!("expected RateLimited, got {other:?}"),
        Ok(_) => panic!("expected RateLimited, got through"),
    }
}

#[test]
fn failed_logins_on_one_account_stay_at_or_under_100_in_any_hour() {
    let (t, clock) = throttle();
    // A guesser trying once a second for three hours, never right.
    let mut let_through = Vec::new();
    for s in 0..3 * 3600u64 {
        if t.login_attempt("a@x.io", None).is_ok() {
            let_through.push(s);
        }
        clock.advance(Duration::from_secs(1));
    }
    for (i, start) in let_through.iter().enumerate() {
        let in_hour = let_through[i..].iter().take_while(|s| **s < start + 3600).count();
        assert!(in_hour <= 100, "{in_hour} failures let through in the hour from {start} s");
    }
    assert!(let_through.len() >= 250, "the limit should still let a steady trickle through");
    assert!(ACCOUNT_FAILURES.most_in(Duration::from_secs(3600)) <= 100);
}

#[test]
fn successful_logins_do_not_use_up_the_account_budget() {
    let (t, _clock) = throttle();
    for _ in 0..500 {
        t.login_attempt("a@x.io", None).unwrap().succeeded();
    }
    for _ in 0..10 {
        let _failed = t.login_attempt("a@x.io", None).unwrap();
    }
    assert!(t.login_attempt("a@x.io", None).is_err());
    // Another account is unaffected.
    assert!(t.login_attempt("b@x.io", None).is_ok());
}

#[test]
fn retry_after_is_rounded_up_so_waiting_that_long_is_enough() {
    let (t, clock) = throttle();
    for _ in 0..10 {
        let _failed = t.login_attempt("a@x.io", None).unwrap();
    }
    clock.advance(Duration::from_millis(500));
    let wait = retry_after(t.login_attempt("a@x.io", None));
    assert_eq!(wait, 40, "39.5 s left must be announced as 40 s");
    clock.advance(Duration::from_secs(wait));
    assert!(t.login_attempt("a@x.io", None).is_ok());
}

#[test]
fn one_ip_trying_many_accounts_is_limited() {
    let (t, _clock) = throttle();
    let ip: IpAddr = "10.0.0.1".parse().unwrap();
    for i in 0..30 {
        t.login_attempt(&format!("u{i}@x.io"), Some(ip)).unwrap().succeeded();
    }
    assert!(matches!(t.login_attempt("new@x.io", Some(ip)), Err(Error::RateLimited { .. })));
}

#[test]
fn sign_ups_from_one_ip_are_limited_and_recover() {
    let (t, clock) = throttle();
    let ip: IpAddr = "10.0.0.1".parse().unwrap();
    for _ in 0..5 {
        t.sign_up(Some(ip)).unwrap();
    }
    assert!(matches!(t.sign_up(Some(ip)), Err(Error::RateLimited { retry_after_secs: 60 })));
    assert!(t.sign_up(Some("10.0.0.2".parse().unwrap())).is_ok());
    clock.advance(Duration::from_secs(60));
    assert!(t.sign_up(Some(ip)).is_ok());
}
