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
fn an_anthropic_key_alone_turns_anthropic_on_with_its_default_url_and_never_prints() {
    let s = Settings::from_sources(None, &env(&[("WEBPLUS_ANTHROPIC_API_KEY", "sk-ant-123")])).unwrap();
    let a = s.anthropic.clone().unwrap();
    assert_eq!((a.base_url.as_str(), a.api_key.expose()), ("https://api.anthropic.com", "sk-ant-123"));
    assert!(a.models.is_empty());
    assert!(!format!("{s:?}").contains("sk-ant-123"));
    assert!(Settings::from_sources(None, &HashMap::new()).unwrap().anthropic.is_none());
}

#[test]
fn anthropic_models_without_a_key_say_what_to_set() {
    let e = Settings::from_sources(None, &env(&[("WEBPLUS_ANTHROPIC_MODELS", "claude-x")])).unwrap_err();
    assert_eq!(e.key, "WEBPLUS_ANTHROPIC_API_KEY");
    let e = Settings::from_sources(Some("[anthropic]\napi_key = \" \"\n"), &HashMap::new()).unwrap_err();
    assert_eq!((e.key.as_str(), e.got.as_deref()), ("anthropic.api_key", None));
}

#[test]
fn an_anthropic_base_url_must_be_http_and_without_the_version() {
    for url in ["api.anthropic.com", "ftp://api.anthropic.com", "https://api.anthropic.com/v1/"] {
        let vars = env(&[("WEBPLUS_ANTHROPIC_API_KEY", "sk-ant-1"), ("WEBPLUS_ANTHROPIC_BASE_URL", url)]);
        let e = Settings::from_sources(None, &vars).unwrap_err();
        assert_eq!((e.key.as_str(), e.got.as_deref()), ("WEBPLUS_ANTHROPIC_BASE_URL", Some(url)));
    }
    let vars =
        env(&[("WEBPLUS_ANTHROPIC_API_KEY", "sk-ant-1"), ("WEBPLUS_ANTHROPIC_BASE_URL", "http://127.0.0.1:8080")]);
    assert_eq!(Settings::from_sources(None, &vars).unwrap().anthropic.unwrap().base_url, "http://127.0.0.1:8080");
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

#[test]
fn each_layer_overrides_the_one_before_down_to_nested_keys() {
    let file = "[sitechat]\nmax_upload_bytes = 1000\n[openai]\nbase_url = \"http://file.example/v1\"\n";
    assert_eq!(Settings::from_sources(None, &HashMap::new()).unwrap().sitechat.max_upload_bytes, 20 * 1024 * 1024);
    let s = Settings::from_sources(Some(file), &HashMap::new()).unwrap();
    assert_eq!(s.sitechat.max_upload_bytes, 1000);
    // The rest of the section keeps its defaults.
    assert_eq!(s.sitechat.widget_requests_per_minute, 20);
    let s = Settings::from_sources(
        Some(file),
        &env(&[("WEBPLUS_MAX_UPLOAD_BYTES", "2000"), ("WEBPLUS_OPENAI_API_KEY", "sk-from-env")]),
    )
    .unwrap();
    assert_eq!(s.sitechat.max_upload_bytes, 2000);
    // A section merges key by key: the file's URL with the environment's key.
    let openai = s.openai.unwrap();
    assert_eq!(openai.base_url, "http://file.example/v1");
    assert_eq!(openai.api_key.expose(), "sk-from-env");
}

#[test]
fn an_unknown_key_in_a_section_is_named_with_its_section_and_the_known_keys() {
    let e = Settings::from_sources(Some("[sitechat]\nmax_uplod_bytes = 5\n"), &HashMap::new()).unwrap_err();
    assert_eq!(e.key, "sitechat.max_uplod_bytes");
    assert!(e.expected.contains("[sitechat]") && e.expected.contains("max_upload_bytes"), "{e}");
    let e = Settings::from_sources(Some("[loacl]\nmodel_id = \"x\"\n"), &HashMap::new()).unwrap_err();
    assert_eq!(e.key, "loacl");
    assert!(e.expected.contains("local"), "{e}");
}

#[test]
fn a_bad_number_in_the_environment_names_the_variable_the_form_and_the_value() {
    let e = Settings::from_sources(None, &env(&[("WEBPLUS_MAX_UPLOAD_BYTES", "20MB")])).unwrap_err();
    assert_eq!(e.key, "WEBPLUS_MAX_UPLOAD_BYTES");
    assert!(e.to_string().ends_with("WEBPLUS_MAX_UPLOAD_BYTES: expected a whole number of bytes, got \"20MB\""), "{e}");
    let e = Settings::from_sources(None, &env(&[("WEBPLUS_LOCAL_MAX_QUEUE", "-1")])).unwrap_err();
    assert_eq!((e.key.as_str(), e.got.as_deref()), ("WEBPLUS_LOCAL_MAX_QUEUE", Some("-1")));
    let e = Settings::from_sources(None, &env(&[("WEBPLUS_TRUST_PROXY", "maybe")])).unwrap_err();
    assert_eq!((e.key.as_str(), e.expected.as_str()), ("WEBPLUS_TRUST_PROXY", "true or false"));
}

#[test]
fn a_bad_value_in_the_file_names_the_file_key() {
    let e = Settings::from_sources(Some("[sitechat]\nmax_upload_bytes = \"20MB\"\n"), &HashMap::new()).unwrap_err();
    assert_eq!((e.key.as_str(), e.got.as_deref()), ("sitechat.max_upload_bytes", Some("20MB")));
    let e = Settings::from_sources(Some("max_body_bytes = -1\n"), &HashMap::new()).unwrap_err();
    assert_eq!((e.key.as_str(), e.got.as_deref()), ("max_body_bytes", Some("-1")));
    let e = Settings::from_sources(Some("cors_origins = \"https://a.example\"\n"), &HashMap::new()).unwrap_err();
    assert_eq!(e.key, "cors_origins");
    // A rule checked after loading names the key the way it was given too.
    let e = Settings::from_sources(Some("access_token_ttl_secs = 3600\n"), &HashMap::new()).unwrap_err();
    assert_eq!((e.key.as_str(), e.got.as_deref()), ("access_token_ttl_secs", Some("3600")));
    let e = Settings::from_sources(Some("local = 5\n"), &HashMap::new()).unwrap_err();
    assert_eq!((e.key.as_str(), e.expected.as_str()), ("local", "a [local] table"));
    let e = Settings::from_sources(Some("[openai]\nmodels = [\"m\"]\n"), &HashMap::new()).unwrap_err();
    assert_eq!(e.key, "openai.base_url");
}

#[test]
fn lists_come_comma_separated_from_the_environment() {
    let s = Settings::from_sources(
        None,
        &env(&[
            ("WEBPLUS_CORS_ORIGINS", "https://a.example.com, https://b.example.com"),
            ("WEBPLUS_OPENAI_BASE_URL", "http://127.0.0.1:8000/v1"),
            ("WEBPLUS_OPENAI_MODELS", "m1,,m2 "),
        ]),
    )
    .unwrap();
    assert_eq!(s.cors_origins, vec!["https://a.example.com", "https://b.example.com"]);
    assert_eq!(s.openai.unwrap().models, vec!["m1", "m2"]);
}

#[test]
fn secrets_appear_neither_in_debug_output_nor_in_errors() {
    let jwt = "jwt-secret-value-of-at-least-32-characters";
    let s = Settings::from_sources(
        Some(&format!("jwt_secret = \"{jwt}\"\n")),
        &env(&[
            ("WEBPLUS_OPENAI_BASE_URL", "http://127.0.0.1:8000/v1"),
            ("WEBPLUS_OPENAI_API_KEY", "sk-api-key-value"),
            ("WEBPLUS_METRICS_TOKEN", "metrics-token-value"),
            ("WEBPLUS_DATABASE_URL", "postgres://webplus:db-password-value@db.internal/webplus"),
        ]),
    )
    .unwrap();
    let debug = format!("{s:?}");
    for secret in [jwt, "sk-api-key-value", "metrics-token-value", "db-password-value"] {
        assert!(!debug.contains(secret), "{debug}");
    }
    assert!(debug.contains("postgres://webplus:[redacted]@db.internal/webplus"), "{debug}");
    // A secret of the wrong type, and a TOML syntax error on a secret's line.
    let e = Settings::from_sources(Some("jwt_secret = 123456789\n"), &HashMap::new()).unwrap_err();
    assert_eq!((e.key.as_str(), e.got.as_deref()), ("jwt_secret", None));
    let e = Settings::from_sources(Some("[openai]\napi_key = \"sk-unterminated\n"), &HashMap::new()).unwrap_err();
    assert_eq!(e.key, "webplus.toml");
    assert!(!e.to_string().contains("sk-unterminated") && e.to_string().contains("line 2"), "{e}");
}

#[test]
fn sqlite_and_postgres_urls_are_accepted_and_others_refused_without_their_password() {
    for url in ["sqlite://x.db?mode=rwc", "postgres://u:p@db/webplus", "postgresql://db/webplus"] {
        let s = Settings::from_sources(None, &env(&[("WEBPLUS_DATABASE_URL", url)])).unwrap();
        assert_eq!(s.database_url, url);
    }
    let e = Settings::from_sources(None, &env(&[("WEBPLUS_DATABASE_URL", "mysql://root:hunter2@db/x")])).unwrap_err();
    assert_eq!(e.key, "WEBPLUS_DATABASE_URL");
    assert!(!e.to_string().contains("hunter2") && e.to_string().contains("postgres://"), "{e}");
    // A URL given in the file is kept; only the default follows the data directory.
    let s = Settings::from_sources(Some("database_url = \"postgres://db/w\"\n"), &env(&[("WEBPLUS_DATA_DIR", "/d")]))
        .unwrap();
    assert_eq!(s.database_url, "postgres://db/w");
}

#[test]
fn other_webplus_variables_are_left_alone_and_an_empty_one_counts_as_unset() {
    let s = Settings::from_sources(
        Some("addr = \"0.0.0.0:8080\"\n"),
        &env(&[
            ("WEBPLUS_LOG", "debug"),
            ("WEBPLUS_CONFIG", "x.toml"),
            ("WEBPLUS_E2E_PORT", "1"),
            ("WEBPLUS_ADDR", " "),
        ]),
    )
    .unwrap();
    assert_eq!(s.addr.to_string(), "0.0.0.0:8080");
}

#[test]
fn zero_rates_and_no_local_slots_are_refused_by_name() {
    for (var, file) in [
        ("WEBPLUS_WIDGET_REQUESTS_PER_MINUTE", "[sitechat]\nwidget_requests_per_minute = 0\n"),
        ("WEBPLUS_LOCAL_MAX_CONCURRENT", "[local]\nmax_concurrent = 0\n"),
    ] {
        let e = Settings::from_sources(None, &env(&[(var, "0")])).unwrap_err();
        assert_eq!((e.key.as_str(), e.got.as_deref()), (var, Some("0")));
        let e = Settings::from_sources(Some(file), &HashMap::new()).unwrap_err();
        assert!(file.contains(e.key.rsplit('.').next().unwrap()), "{e}");
    }
}

#[test]
fn ollama_and_bedrock_sections_are_declared_by_their_keys_and_say_what_is_wrong() {
    let s = Settings::from_sources(None, &env(&[("WEBPLUS_OLLAMA_MODELS", "llama3.2:3b")])).unwrap();
    let o = s.ollama.unwrap();
    assert_eq!((o.base_url.as_str(), o.models.as_slice()), ("http://127.0.0.1:11434", &["llama3.2:3b".to_owned()][..]));
    let e = Settings::from_sources(None, &env(&[("WEBPLUS_OLLAMA_BASE_URL", "gpu-box:11434")])).unwrap_err();
    assert_eq!(e.key, "WEBPLUS_OLLAMA_BASE_URL");

    let b = Settings::from_sources(None, &env(&[("WEBPLUS_BEDROCK_MODELS", "amazon.nova-lite-v1:0")])).unwrap();
    assert_eq!(b.bedrock.unwrap().models, ["amazon.nova-lite-v1:0"]);
    let e = Settings::from_sources(Some("[bedrock]\nmodels = []\n"), &HashMap::new()).unwrap_err();
    assert_eq!(e.key, "bedrock.models");
    assert!(Settings::from_sources(None, &HashMap::new()).unwrap().bedrock.is_none());
}

#[test]
fn max_streams_has_a_default_is_taken_from_either_layer_and_zero_is_refused() {
    assert_eq!(Settings::from_sources(None, &HashMap::new()).unwrap().max_streams, 5000);
    let s = Settings::from_sources(None, &env(&[("WEBPLUS_MAX_STREAMS", "12")])).unwrap();
    assert_eq!(s.max_streams, 12);
    assert_eq!(Settings::from_sources(Some("max_streams = 3\n"), &HashMap::new()).unwrap().max_streams, 3);
    let e = Settings::from_sources(None, &env(&[("WEBPLUS_MAX_STREAMS", "0")])).unwrap_err();
    assert_eq!(e.key, "WEBPLUS_MAX_STREAMS");
    assert!(e.to_string().contains("at least 1"), "{e}");
}

#[test]
fn worker_threads_are_taken_from_either_layer_and_zero_is_refused() {
    assert_eq!(Settings::from_sources(None, &HashMap::new()).unwrap().worker_threads, None);
    let s = Settings::from_sources(None, &env(&[("WEBPLUS_WORKER_THREADS", "3")])).unwrap();
    assert_eq!(s.worker_threads, Some(3));
    assert_eq!(Settings::from_sources(Some("worker_threads = 1\n"), &HashMap::new()).unwrap().worker_threads, Some(1));
    let e = Settings::from_sources(None, &env(&[("WEBPLUS_WORKER_THREADS", "0")])).unwrap_err();
    assert_eq!(e.key, "WEBPLUS_WORKER_THREADS");
    assert!(e.to_string().contains("from 1 to 1024"), "{e}");
    let e = Settings::from_sources(Some("worker_threads = \"many\"\n"), &HashMap::new()).unwrap_err();
    assert_eq!(e.key, "worker_threads");
}
