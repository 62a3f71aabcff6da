use std::collections::HashMap;

use super::*;

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn defaults_are_embedded_sqlite_in_the_data_dir_on_localhost_3000() {
    let s = Settings::from_sources(None, &HashMap::new()).unwrap();
    assert_eq!(s.addr.to_string(), "127.0.0.1:3000");
    assert_eq!(s.database_url, "sqlite://data/webplus.db?mode=rwc");
    assert!(s.jwt_secret.is_none());
}

#[test]
fn the_environment_overrides_the_file_which_overrides_defaults() {
    let file = "addr = \"0.0.0.0:8080\"\nlog_format = \"json\"\ndata_dir = \"/srv/webplus\"\n";
    let s = Settings::from_sources(Some(file), &env(&[("WEBPLUS_ADDR", "127.0.0.1:9999")])).unwrap();
    assert_eq!(s.addr.to_string(), "127.0.0.1:9999");
    assert_eq!(s.log_format, LogFormat::Json);
    assert_eq!(s.database_url, "sqlite:///srv/webplus/webplus.db?mode=rwc");
}

#[test]
fn an_invalid_address_names_the_key_and_the_expected_form() {
    let e = Settings::from_sources(None, &env(&[("WEBPLUS_ADDR", "localhost")])).unwrap_err();
    assert_eq!(e.key, "WEBPLUS_ADDR");
    assert!(e.to_string().contains("127.0.0.1:3000"), "{e}");
}

#[test]
fn an_unknown_key_in_the_file_is_an_error() {
    let e = Settings::from_sources(Some("adress = \"x\""), &HashMap::new()).unwrap_err();
    assert!(e.to_string().contains("adress"), "{e}");
}

#[test]
fn a_short_jwt_secret_is_refused_without_printing_it() {
    let e = Settings::from_sources(None, &env(&[("WEBPLUS_JWT_SECRET", "tooshort-secret")])).unwrap_err();
    assert_eq!(e.key, "WEBPLUS_JWT_SECRET");
    assert!(!e.to_string().contains("tooshort"), "{e}");
}

#[test]
fn a_bad_log_format_is_refused() {
    let e = Settings::from_sources(None, &env(&[("WEBPLUS_LOG_FORMAT", "xml")])).unwrap_err();
    assert!(e.to_string().contains("json or pretty"), "{e}");
}

#[test]
fn an_openai_key_without_a_base_url_says_what_to_set() {
    let e = Settings::from_sources(None, &env(&[("WEBPLUS_OPENAI_API_KEY", "sk-x")])).unwrap_err();
    assert_eq!(e.key, "WEBPLUS_OPENAI_BASE_URL");
    assert!(!e.to_string().contains("sk-x"));
}

#[test]
fn the_jwt_secret_is_generated_once_and_reused() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = Settings::defaults();
    a.data_dir = dir.path().to_path_buf();
    let mut b = a.clone();
    resolve_jwt_secret(&mut a).unwrap();
    resolve_jwt_secret(&mut b).unwrap();
    assert_eq!(a.jwt_secret, b.jwt_secret);
    assert!(a.jwt_secret.unwrap().expose().len() >= 64);
}

#[test]
fn private_crawl_hosts_come_from_a_comma_separated_variable_and_are_empty_by_default() {
    assert!(Settings::from_sources(None, &HashMap::new()).unwrap().sitechat.crawl_allow_private_hosts.is_empty());
    let s = Settings::from_sources(
        Some("[sitechat]\ncrawl_allow_private_hosts = [\"intranet\"]\n"),
        &env(&[("WEBPLUS_CRAWL_ALLOW_PRIVATE_HOSTS", " 127.0.0.1, docs.internal ,")]),
    )
    .unwrap();
    assert_eq!(s.sitechat.crawl_allow_private_hosts, vec!["127.0.0.1", "docs.internal"]);
}

#[test]
fn an_unknown_embedding_model_names_the_accepted_forms() {
    let e = Settings::from_sources(None, &env(&[("WEBPLUS_EMBEDDING_MODEL", "bert")])).unwrap_err();
    assert_eq!(e.key, "WEBPLUS_EMBEDDING_MODEL");
    assert!(e.to_string().contains("openai:<model>"), "{e}");
}

#[test]
fn the_public_url_gives_the_accepted_host_and_a_bad_one_names_the_key() {
    let s = Settings::from_sources(None, &env(&[("WEBPLUS_PUBLIC_URL", "https://Chat.Example.com:8443/")])).unwrap();
    assert_eq!(s.public_host().as_deref(), Some("chat.example.com"));
    let s = Settings::from_sources(Some("public_url = \"http://[2001:db8::1]:3000\"\n"), &HashMap::new()).unwrap();
    assert_eq!(s.public_host().as_deref(), Some("[2001:db8::1]"));
    let e = Settings::from_sources(None, &env(&[("WEBPLUS_PUBLIC_URL", "chat.example.com")])).unwrap_err();
    assert_eq!(e.key, "WEBPLUS_PUBLIC_URL");
}

#[test]
fn a_short_metrics_token_is_refused_without_printing_it_and_the_metrics_addr_is_parsed() {
    let e = Settings::from_sources(None, &env(&[("WEBPLUS_METRICS_TOKEN", "short-tok")])).unwrap_err();
    assert_eq!(e.key, "WEBPLUS_METRICS_TOKEN");
    assert!(!e.to_string().contains("short-tok"), "{e}");
    let s = Settings::from_sources(None, &env(&[("WEBPLUS_METRICS_ADDR", "127.0.0.1:9100")])).unwrap();
    assert_eq!(s.metrics_addr.unwrap().to_string(), "127.0.0.1:9100");
}
