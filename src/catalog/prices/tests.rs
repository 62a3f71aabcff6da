//! Values asserted here were read from the vendored table (LiteLLM 1.110.2); a re-vendoring that
//! changes a price shows up here as a failing test to update on purpose.

use super::*;
use ConnectionKind::{Anthropic, Bedrock, Ollama, Openai};

fn bundled(kind: ConnectionKind, id: &str) -> ModelFacts {
    PriceTable::bundled().lookup(kind, id).unwrap_or_else(|| panic!("{id} is in the bundled table"))
}

fn facts(input: Option<f64>, output: Option<f64>, cached: Option<f64>) -> ModelFacts {
    ModelFacts {
        context_window: None,
        max_output: None,
        input_per_mtok: input,
        output_per_mtok: output,
        cached_input_per_mtok: cached,
        cache_write_per_mtok: None,
        vision: false,
        tools: false,
        json_output: false,
        embedding_dims: None,
        mode: Mode::Chat,
    }
}

#[test]
fn the_bundled_table_parses_and_knows_every_kind_of_connection() {
    let table = PriceTable::bundled();
    let counts = ConnectionKind::ALL.map(|k| table.count(k));
    // openai, anthropic, bedrock (both of LiteLLM's providers), ollama: the vendoring script's counts.
    assert_eq!(counts, [105, 22, 378, 21]);
}

#[test]
fn bundled_prices_are_per_million_tokens_and_only_embeddings_have_dimensions() {
    let table = PriceTable::bundled();
    for kind in ConnectionKind::ALL {
        for (key, f) in table.models(kind) {
            for price in [f.input_per_mtok, f.output_per_mtok, f.cached_input_per_mtok].into_iter().flatten() {
                // Nothing costs more than $1000 a million tokens; a unit slip (per token, per 1k) would.
                assert!((0.0..1000.0).contains(&price), "{key}: {price}");
            }
            if f.embedding_dims.is_some() {
                assert_eq!(f.mode, Mode::Embedding, "{key}");
            }
        }
    }
}

#[test]
fn gpt_4o_mini_has_its_published_prices_and_abilities() {
    let f = bundled(Openai, "gpt-4o-mini");
    assert_eq!((f.input_per_mtok, f.output_per_mtok, f.cached_input_per_mtok), (Some(0.15), Some(0.6), Some(0.075)));
    assert_eq!((f.context_window, f.max_output), (Some(128_000), Some(16_384)));
    assert!(f.vision && f.tools && f.json_output);
    assert_eq!(f.mode, Mode::Chat);
}

#[test]
fn an_openai_snapshot_with_its_own_entry_keeps_its_own_price() {
    assert_eq!(bundled(Openai, "gpt-4o-2024-05-13").input_per_mtok, Some(5.0));
    assert_eq!(bundled(Openai, "gpt-4o").input_per_mtok, Some(2.5));
}

#[test]
fn an_openai_snapshot_without_an_entry_falls_back_to_its_family() {
    assert_eq!(bundled(Openai, "gpt-4-0314"), bundled(Openai, "gpt-4"));
    assert_eq!(bundled(Openai, "gpt-4o-mini-2099-01-31"), bundled(Openai, "gpt-4o-mini"));
}

#[test]
fn a_fine_tuned_openai_model_is_priced_as_a_fine_tune_not_as_its_base() {
    let f = bundled(Openai, "ft:gpt-4o-mini-2024-07-18:acme::a1b2c3");
    assert_eq!((f.input_per_mtok, f.output_per_mtok), (Some(0.3), Some(1.2)));
    assert_eq!(PriceTable::bundled().lookup(Openai, "ft:gpt-unknown:acme::a1b2c3"), None);
}

#[test]
fn openai_embeddings_have_their_dimensions() {
    let f = bundled(Openai, "text-embedding-3-large");
    assert_eq!((f.mode, f.embedding_dims, f.input_per_mtok), (Mode::Embedding, Some(3072), Some(0.13)));
}

#[test]
fn a_claude_model_has_a_200k_context_and_its_cache_prices() {
    let f = bundled(Anthropic, "claude-sonnet-4-5-20250929");
    assert_eq!(f.context_window, Some(200_000));
    assert_eq!((f.input_per_mtok, f.output_per_mtok), (Some(3.0), Some(15.0)));
    assert_eq!((f.cached_input_per_mtok, f.cache_write_per_mtok), (Some(0.3), Some(3.75)));
}

#[test]
fn bedrock_claude_with_a_us_prefix_has_the_regional_premium_litellm_lists() {
    let f = bundled(Bedrock, "us.anthropic.claude-sonnet-4-5-20250929-v1:0");
    assert_eq!(f.context_window, Some(200_000));
    assert_eq!((f.input_per_mtok, f.output_per_mtok), (Some(3.3), Some(16.5)));
}

#[test]
fn a_bedrock_prefix_litellm_has_no_entry_for_falls_back_to_the_model() {
    let base = bundled(Bedrock, "anthropic.claude-sonnet-4-5-20250929-v1:0");
    assert_eq!(base.input_per_mtok, Some(3.0));
    assert_eq!(bundled(Bedrock, "global.anthropic.claude-sonnet-4-5-20250929-v1:0"), base);
    assert_eq!(bundled(Bedrock, "us.cohere.embed-v4:0").embedding_dims, Some(1536));
}

#[test]
fn titan_text_embeddings_v2_has_1024_dimensions() {
    let f = bundled(Bedrock, "amazon.titan-embed-text-v2:0");
    assert_eq!((f.mode, f.embedding_dims, f.input_per_mtok), (Mode::Embedding, Some(1024), Some(0.02)));
}

#[test]
fn a_bedrock_model_litellm_keys_as_bedrock_slash_id_is_found_by_its_id() {
    assert_eq!(bundled(Bedrock, "moonshotai.kimi-k2-thinking").input_per_mtok, Some(0.6));
}

#[test]
fn a_bedrock_region_with_its_own_price_is_preferred_when_the_region_is_given() {
    let table = PriceTable::bundled();
    let id = "meta.llama3-8b-instruct-v1:0";
    let in_london = table.lookup_in_region(Bedrock, id, Some("eu-west-2")).unwrap();
    assert_eq!(in_london.input_per_mtok, Some(0.39));
    assert_eq!(table.lookup(Bedrock, id).unwrap().input_per_mtok, Some(0.3));
    // A region LiteLLM has no price of its own for: the model's.
    assert_eq!(table.lookup_in_region(Bedrock, id, Some("us-east-1")).unwrap().input_per_mtok, Some(0.3));
}

#[test]
fn ollama_names_resolve_with_and_without_tags() {
    let f = bundled(Ollama, "llama3.1");
    assert_eq!((f.context_window, f.input_per_mtok, f.output_per_mtok), (Some(8192), Some(0.0), Some(0.0)));
    assert_eq!(bundled(Ollama, "llama3.1:latest"), f);
    assert_eq!(bundled(Ollama, "llama3.1:70b"), f);
    // A tag LiteLLM lists on its own is taken as is.
    assert_eq!(bundled(Ollama, "llama2:70b").context_window, Some(4096));
}

#[test]
fn unknown_ids_and_other_providers_models_are_not_found() {
    let table = PriceTable::bundled();
    assert_eq!(table.lookup(Openai, "gpt-does-not-exist"), None);
    assert_eq!(table.lookup(Openai, ""), None);
    assert_eq!(table.lookup(Ollama, "qwen2.5:7b"), None);
    assert_eq!(table.lookup(Bedrock, "us.nothing.here-v1:0"), None);
    // Each kind reads only its own provider's entries.
    assert_eq!(table.lookup(Ollama, "gpt-4o-mini"), None);
    assert_eq!(table.lookup(Openai, "llama3.1"), None);
    assert_eq!(table.lookup(Anthropic, "anthropic.claude-sonnet-4-5-20250929-v1:0"), None);
    // Anthropic ids are taken as given: no date stripping.
    assert_eq!(table.lookup(Anthropic, "claude-sonnet-4-5-20990101"), None);
}

#[test]
fn snapshot_dates_are_recognised_only_at_the_end() {
    assert_eq!(without_date("gpt-4o-2024-08-06"), Some("gpt-4o"));
    assert_eq!(without_date("gpt-3.5-turbo-0125"), Some("gpt-3.5-turbo"));
    assert_eq!(without_date("gpt-4o"), None);
    assert_eq!(without_date("text-embedding-3-small"), None);
    assert_eq!(without_date("2024-08-06"), None);
    assert_eq!(without_geo_prefix("apac.amazon.nova-lite-v1:0"), Some("amazon.nova-lite-v1:0"));
    assert_eq!(without_geo_prefix("amazon.nova-lite-v1:0"), None);
}

#[test]
fn prices_convert_to_the_published_decimal_per_million() {
    assert_eq!(per_mtok(1.5e-07), 0.15);
    assert_eq!(per_mtok(3.3e-06), 3.3);
    assert_eq!(per_mtok(1.3e-10), 0.00013);
}

#[test]
fn cost_adds_input_and_output_at_their_rates() {
    let f = facts(Some(2.0), Some(8.0), Some(0.5));
    assert_eq!(f.cost_usd(1_000_000, 0, 0), Some(2.0));
    assert_eq!(f.cost_usd(1000, 500, 0), Some(0.006));
    assert_eq!(f.cost_usd(0, 0, 0), Some(0.0));
}

#[test]
fn openai_cached_tokens_are_part_of_the_input_and_priced_once_at_the_cached_rate() {
    // OpenAI: prompt_tokens 1000, of which prompt_tokens_details.cached_tokens 200.
    let f = facts(Some(2.0), Some(8.0), Some(0.5));
    assert_eq!(f.cost_usd(1000, 500, 200), Some(0.0057)); // 800 × 2 + 200 × 0.5 + 500 × 8, per million
}

#[test]
fn anthropic_cache_reads_are_added_to_input_tokens_before_pricing() {
    // Anthropic: input_tokens 800 (uncached) and cache_read_input_tokens 200, reported apart.
    let f = facts(Some(2.0), Some(8.0), Some(0.5));
    let (input_tokens, cache_read) = (800, 200);
    assert_eq!(f.cost_usd(input_tokens + cache_read, 500, cache_read), Some(0.0057));
    // Passing the separate counts as they come is caught rather than underpriced.
    assert_eq!(f.cost_usd(100, 0, cache_read), None);
}

#[test]
fn cost_is_unknown_when_a_needed_price_is() {
    assert_eq!(facts(None, Some(8.0), None).cost_usd(10, 10, 0), None);
    assert_eq!(facts(Some(2.0), None, None).cost_usd(10, 10, 0), None);
    // The cached rate is needed only when something was cached.
    assert_eq!(facts(Some(2.0), Some(8.0), None).cost_usd(10, 10, 5), None);
    assert_eq!(facts(Some(2.0), Some(8.0), None).cost_usd(1_000_000, 0, 0), Some(2.0));
}

#[test]
fn a_real_model_costs_what_its_list_prices_say() {
    // gpt-4o-mini: $0.15 in, $0.60 out, $0.075 cached, per million.
    let f = bundled(Openai, "gpt-4o-mini");
    let cost = f.cost_usd(2_000_000, 1_000_000, 1_000_000).unwrap();
    assert!((cost - (0.15 + 0.075 + 0.6)).abs() < 1e-12, "{cost}");
}

#[test]
fn entries_of_other_providers_are_skipped_when_parsing() {
    let json = r#"{
        "gpt-x": {"litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 1e-06},
        "gemini-x": {"litellm_provider": "gemini", "mode": "chat", "input_cost_per_token": 1e-06}
    }"#;
    let table = PriceTable::parse(json).unwrap();
    assert_eq!(ConnectionKind::ALL.map(|k| table.count(k)), [1, 0, 0, 0]);
    assert_eq!(table.lookup(Openai, "gpt-x").unwrap().input_per_mtok, Some(1.0));
}
