//! The `webplus` command line acting on the same database as a running server.

use std::{
    io::Write,
    process::{Command, Output, Stdio},
};

use reqwest::StatusCode;

use crate::helpers::{TestApp, spawn_app};

fn webplus(app: &TestApp, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_webplus"))
        .args(args)
        .env("WEBPLUS_DATA_DIR", &app.settings.data_dir)
        .env("WEBPLUS_DATABASE_URL", &app.settings.database_url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("webplus runs");
    let mut input = child.stdin.take().unwrap();
    if let Some(s) = stdin {
        input.write_all(s.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[tokio::test]
async fn an_admin_created_on_the_command_line_can_log_in_to_the_running_server() {
    let app = spawn_app().await;
    let out = webplus(
        &app,
        &["admin", "create-user", "--email", "Ops@Example.com", "--role", "admin"],
        Some("ops-password-123\n"),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let (s, v) = app.login("ops@example.com", "ops-password-123").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["role"], "admin");
}

#[tokio::test]
async fn an_api_key_created_on_the_command_line_is_the_last_line_and_works() {
    let app = spawn_app().await;
    app.register("dev@example.com").await;
    let out = webplus(&app, &["admin", "create-api-key", "--email", "dev@example.com", "--name", "ci"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let key = stdout.lines().last().unwrap().trim();
    assert!(key.starts_with("wpk_"), "{stdout}");
    let res = app.client.get(app.url("/v1/models")).bearer_auth(key).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn disabling_on_the_command_line_ends_the_users_session() {
    let app = spawn_app().await;
    app.register("bob@example.com").await;
    let out = webplus(&app, &["admin", "disable-user", "--email", "bob@example.com"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let (s, _) = app.call("chat/conversations", serde_json::json!({})).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_weak_password_or_an_invalid_setting_is_a_clear_error_not_a_panic() {
    let app = spawn_app().await;
    let out = webplus(&app, &["admin", "create-user", "--email", "a@example.com"], Some("password\n"));
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("commonly used") && !err.contains("panicked"), "{err}");

    let out = Command::new(env!("CARGO_BIN_EXE_webplus"))
        .args(["admin", "list-users"])
        .env("WEBPLUS_DATA_DIR", &app.settings.data_dir)
        .env("WEBPLUS_ADDR", "not-an-address")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("WEBPLUS_ADDR") && err.contains("127.0.0.1:3000"), "{err}");
}

#[tokio::test]
async fn an_unreachable_database_is_named_by_its_setting_and_its_password_is_not_shown() {
    let dir = tempfile::tempdir().unwrap();
    // Port 1 on loopback: nothing listens, so the connection is refused at once.
    let out = Command::new(env!("CARGO_BIN_EXE_webplus"))
        .args(["admin", "list-users"])
        .env("WEBPLUS_DATA_DIR", dir.path())
        .env("WEBPLUS_DATABASE_URL", "postgres://webplus:hunter2@127.0.0.1:1/webplus")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("WEBPLUS_DATABASE_URL") && err.contains("127.0.0.1:1/webplus"), "{err}");
    assert!(!err.contains("hunter2") && !err.contains("panicked"), "{err}");
}

#[tokio::test]
async fn sign_ups_are_shown_and_changed_and_pending_users_listed_and_approved_on_the_command_line() {
    let app = crate::helpers::spawn_app_with_default_signups().await;
    let out = webplus(&app, &["admin", "signups"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("sign-ups: approval"), "{}", text(&out.stdout));

    app.register("root@example.com").await;
    let bob = app.second_browser();
    let (s, v) = bob
        .call("auth/register", serde_json::json!({ "email": "bob@example.com", "password": crate::helpers::PASSWORD }))
        .await;
    assert_eq!((s, v["awaiting_approval"].as_bool()), (StatusCode::OK, Some(true)), "{v}");
    let out = webplus(&app, &["admin", "list-users"], None);
    let listed = text(&out.stdout);
    assert!(listed.lines().any(|l| l == "bob@example.com\tuser\tpending"), "{listed}");
    assert!(listed.lines().any(|l| l == "root@example.com\tadmin\tactive"), "{listed}");

    let out = webplus(&app, &["admin", "approve-user", "--email", "bob@example.com"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(bob.login("bob@example.com", crate::helpers::PASSWORD).await.0, StatusCode::OK);

    let out = webplus(&app, &["admin", "signups", "closed"], None);
    assert!(text(&out.stdout).starts_with("sign-ups: closed"), "{}", text(&out.stdout));
    let (s, _) = app
        .second_browser()
        .call("auth/register", serde_json::json!({ "email": "eve@example.com", "password": crate::helpers::PASSWORD }))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let out = webplus(&app, &["admin", "signups", "invite-only"], None);
    assert!(!out.status.success());
}
