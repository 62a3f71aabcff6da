//! What replies used: the line under each reply and the conversation's totals. The text is made
//! here, from the same values whether they came live (the stream's `done`) or from the ledger
//! (a reload), so both look the same.

use leptos::prelude::*;

use super::LiveMessage;
use crate::dto::{ReplyUsageDto, Totals};

/// The line under a reply (hidden until its usage is known).
#[component]
pub fn ReplyUsageLine(usage: RwSignal<Option<ReplyUsageDto>>) -> impl IntoView {
    view! {
        <p
            class="message-usage"
            data-testid="message-usage"
            hidden=move || usage.with(Option::is_none)
            title=move || usage.with(|u| u.as_ref().map(timing_text).unwrap_or_default())
        >
            {move || usage.with(|u| u.as_ref().map(detail_line).unwrap_or_default())}
        </p>
    }
}

/// The tokens and cost of the branch on show: `earlier`, what the replies above the messages
/// loaded used, plus the replies loaded (so a reply that just ended counts at once).
#[component]
pub fn ConversationTotals(messages: RwSignal<Vec<LiveMessage>>, earlier: RwSignal<Totals>) -> impl IntoView {
    let totals = Memo::new(move |_| {
        let start = earlier.get();
        messages.with(|ms| ms.iter().fold(start, |t, m| m.usage.with(|u| t.with_reply(u.as_ref()))))
    });
    view! {
        <span
            class="conversation-usage"
            data-testid="conversation-usage"
            hidden=move || totals.with(|t| t.replies == 0)
            title=move || totals.with(Totals::breakdown)
        >
            {move || totals.with(Totals::summary)}
        </span>
    }
}

/// "claude-haiku-4-5 · 412 in / 96 out · $0.000892 · 0.4 s to first token"; tokens Web+ counted
/// (the provider reported none) read "≈ 412 in / 96 out".
pub fn detail_line(u: &ReplyUsageDto) -> String {
    let mut parts = vec![u.model.clone()];
    if let (Some(i), Some(o)) = (u.input_tokens, u.output_tokens) {
        let about = if u.counted { "≈ " } else { "" };
        parts.push(format!("{about}{} in / {} out", count(i), count(o)));
        parts.push(cost_text(u.cost_nano_usd.unwrap_or(0), u.cost_nano_usd.is_some(), u.unpriced_calls));
    }
    if let Some(t) = u.ttft_ms {
        parts.push(format!("{} to first token", duration(t)));
    }
    parts.join(" · ")
}

/// On hover: the whole call's time and the output speed.
fn timing_text(u: &ReplyUsageDto) -> String {
    let mut text = format!("{} in all", duration(u.duration_ms));
    let writing_ms = u.duration_ms - u.ttft_ms.unwrap_or(0);
    if let Some(out) = u.output_tokens.filter(|_| writing_ms > 0) {
        text.push_str(&format!(" · {:.0} tokens/s", out as f64 * 1000.0 / writing_ms as f64));
    }
    text
}

impl Totals {
    pub fn with_reply(mut self, u: Option<&ReplyUsageDto>) -> Self {
        if let Some(u) = u {
            self.replies += 1;
            self.input_tokens += u.input_tokens.unwrap_or(0);
            self.output_tokens += u.output_tokens.unwrap_or(0);
            self.cost_nano_usd += u.cost_nano_usd.unwrap_or(0);
            self.priced |= u.cost_nano_usd.is_some();
            self.unpriced_calls += u.unpriced_calls;
        }
        self
    }

    /// "508 tokens · $0.000892".
    pub fn summary(&self) -> String {
        let tokens = count(self.input_tokens + self.output_tokens);
        format!("{tokens} tokens · {}", cost_text(self.cost_nano_usd, self.priced, self.unpriced_calls))
    }

    fn breakdown(&self) -> String {
        let replies = if self.replies == 1 { "1 reply".to_owned() } else { format!("{} replies", self.replies) };
        format!("{} in / {} out over {replies}", count(self.input_tokens), count(self.output_tokens))
    }
}

/// A cost for people: "free" (priced at zero), "$0.000892", "price unknown", or both parts when
/// some calls were priced and some not.
fn cost_text(nano_usd: i64, priced: bool, unpriced_calls: i64) -> String {
    match (priced, unpriced_calls > 0) {
        (false, true) => "price unknown".into(),
        (true, true) => format!("{} + price unknown", dollars(nano_usd)),
        _ => dollars(nano_usd),
    }
}

/// Billionths of a dollar as dollars, to the millionth, without trailing zeros ("free" for 0).
fn dollars(nano_usd: i64) -> String {
    if nano_usd == 0 {
        return "free".into();
    }
    let micro = (nano_usd + 500) / 1000;
    if micro == 0 {
        return "< $0.000001".into();
    }
    let text = format!("${}.{:06}", micro / 1_000_000, micro % 1_000_000);
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// "1,234".
fn count(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// "35 ms" under a tenth of a second, else "0.4 s".
fn duration(ms: i64) -> String {
    if ms < 100 { format!("{ms} ms") } else { format!("{:.1} s", ms as f64 / 1000.0) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(cost: Option<i64>, unpriced_calls: i64) -> ReplyUsageDto {
        ReplyUsageDto {
            model: "claude-haiku-4-5".into(),
            input_tokens: Some(412),
            output_tokens: Some(96),
            cost_nano_usd: cost,
            unpriced_calls,
            counted: false,
            ttft_ms: Some(400),
            duration_ms: 1_600,
        }
    }

    #[test]
    fn a_priced_reply_shows_tokens_cost_and_time_to_first_token() {
        let u = usage(Some(892_000), 0);
        assert_eq!(detail_line(&u), "claude-haiku-4-5 · 412 in / 96 out · $0.000892 · 0.4 s to first token");
        assert_eq!(timing_text(&u), "1.6 s in all · 80 tokens/s");
    }

    #[test]
    fn a_free_model_says_free_and_an_unpriced_one_price_unknown() {
        assert!(detail_line(&usage(Some(0), 0)).contains(" · free · "));
        assert!(detail_line(&usage(None, 1)).contains(" · price unknown · "));
        let stopped = ReplyUsageDto { input_tokens: None, output_tokens: None, ttft_ms: None, ..usage(None, 0) };
        assert_eq!(detail_line(&stopped), "claude-haiku-4-5");
        let counted = ReplyUsageDto { counted: true, ..usage(Some(0), 0) };
        assert_eq!(detail_line(&counted), "claude-haiku-4-5 · ≈ 412 in / 96 out · free · 0.4 s to first token");
    }

    #[test]
    fn dollars_round_to_the_millionth_without_trailing_zeros() {
        assert_eq!(dollars(1_230_000_000), "$1.23");
        assert_eq!(dollars(2_000_000_000), "$2");
        assert_eq!(dollars(499), "< $0.000001");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(count(999), "999");
    }

    #[test]
    fn totals_sum_the_replies_and_say_when_a_price_is_missing() {
        let t = Totals::default()
            .with_reply(Some(&usage(Some(892_000), 0)))
            .with_reply(None)
            .with_reply(Some(&usage(None, 1)));
        assert_eq!(t.summary(), "1,016 tokens · $0.000892 + price unknown");
        assert_eq!(t.breakdown(), "824 in / 192 out over 2 replies");
        let free = Totals::default().with_reply(Some(&usage(Some(0), 0)));
        assert_eq!(free.summary(), "508 tokens · free");
    }
}
